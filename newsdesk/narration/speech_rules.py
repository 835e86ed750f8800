"""Word lists and readings used by `newsdesk.narration.speech`.

Everything a copy editor might want to extend lives here as plain data: add a title, a unit, a
weapon prefix or an acronym that is said as a word, and `speech_text` picks it up. Some spoken
forms are respellings chosen for Piper's espeak-ng front end rather than dictionary spellings
(for example "hrivnias", "High-mars"); each was checked against the phonemizer Piper ships.

Spelled letters are written with dots between them and no final dot ("U.S", "I.A.E.A"):
espeak reads that form letter by letter in any context, while a bare "IAEA" is read as a word
and "I A E A" turns the lone "A" into the article "uh".
"""

from typing import Final, Literal, NamedTuple

# --- Numbers -------------------------------------------------------------------------------

ONES: Final = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS: Final = (
    "",
    "",
    *["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"],
)
SCALES: Final = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
IRREGULAR_ORDINALS: Final = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}

# Scale words after a number: "4m drones", "£2.5bn", "10k".
SCALE_SUFFIXES: Final = {
    "thousand": "thousand",
    "k": "thousand",
    "K": "thousand",
    "million": "million",
    "mln": "million",
    "mn": "million",
    "m": "million",
    "billion": "billion",
    "bn": "billion",
    "b": "billion",
    "trillion": "trillion",
    "trn": "trillion",
    "tn": "trillion",
}

# Fixed phrases read as a whole before any number rule sees them.
NUMBER_PHRASES: Final = {
    "24/7": "twenty-four seven",
    "9/11": "nine-eleven",
    "50/50": "fifty-fifty",
}

VULGAR_FRACTIONS: Final = {
    # character: (alone, after a whole number)
    "½": ("one half", "and a half"),
    "⅓": ("one third", "and a third"),
    "⅔": ("two thirds", "and two thirds"),
    "¼": ("one quarter", "and a quarter"),
    "¾": ("three quarters", "and three quarters"),
    "⅕": ("one fifth", "and a fifth"),
    "⅛": ("one eighth", "and an eighth"),
}
FRACTION_DENOMINATORS: Final = {2: ("half", "halves"), 4: ("quarter", "quarters")}

# A four-digit number after one of these is a quantity, not a year: "some 1500 troops".
QUANTITY_WORDS: Final = frozenset(
    [
        "about",
        "some",
        "nearly",
        "almost",
        "around",
        "over",
        "under",
        "than",
        "roughly",
        "approximately",
        "least",
        "exactly",
        "only",
        "just",
        "total",
        "estimated",
        "additional",
        "another",
    ]
)

# --- Calendar and clock ----------------------------------------------------------------------

MONTHS: Final = {
    "January": "January",
    "Jan": "January",
    "February": "February",
    "Feb": "February",
    "March": "March",
    "Mar": "March",
    "April": "April",
    "Apr": "April",
    "May": "May",
    "June": "June",
    "Jun": "June",
    "July": "July",
    "Jul": "July",
    "August": "August",
    "Aug": "August",
    "September": "September",
    "Sept": "September",
    "Sep": "September",
    "October": "October",
    "Oct": "October",
    "November": "November",
    "Nov": "November",
    "December": "December",
    "Dec": "December",
}
MONTH_NAMES: Final = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS: Final = frozenset(
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Today",
        "Tonight",
        "Tomorrow",
    ]
)
# A capitalised word after "a.m." that continues the sentence: "9 a.m. Monday", "5 p.m. GMT".
TIME_FOLLOWERS: Final = (
    WEEKDAYS
    | frozenset(MONTH_NAMES)
    | frozenset(
        [
            "ET",
            "EST",
            "EDT",
            "CT",
            "PT",
            "PST",
            "PDT",
            "GMT",
            "UTC",
            "BST",
            "CET",
            "CEST",
            "EET",
            "EEST",
            "MSK",
            "Eastern",
            "Central",
            "Pacific",
            "Mountain",
            "Kyiv",
            "Moscow",
            "Washington",
            "London",
            "Brussels",
        ]
    )
)

# --- Sentence boundaries ---------------------------------------------------------------------

# A capitalised word that probably opens a new sentence after an abbreviation that can end one
# ("... in the U.S. The talks ...") as opposed to a name that continues it ("U.S. Army").
SENTENCE_STARTERS: Final = frozenset(
    [
        "The",
        "A",
        "An",
        "It",
        "Its",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "This",
        "That",
        "These",
        "Those",
        "There",
        "Their",
        "His",
        "Her",
        "Our",
        "My",
        "In",
        "On",
        "At",
        "By",
        "For",
        "From",
        "To",
        "Of",
        "With",
        "Without",
        "Under",
        "Over",
        "After",
        "Before",
        "During",
        "Since",
        "Until",
        "While",
        "When",
        "Where",
        "What",
        "Who",
        "Why",
        "How",
        "If",
        "As",
        "But",
        "And",
        "Or",
        "So",
        "Yet",
        "Nor",
        "Then",
        "Now",
        "Still",
        "Also",
        "Meanwhile",
        "However",
        "Later",
        "Earlier",
        "Officials",
        "Some",
        "Many",
        "Most",
        "All",
        "Both",
        "Each",
        "Neither",
        "Nobody",
        "No",
        "One",
        "According",
        "Asked",
    ]
)

PeriodPolicy = Literal["never", "starter", "time"]
"""When the period of an abbreviation may also end the sentence.

never: titles and Latin abbreviations always continue ("Gen. Smith", "e.g. tanks");
starter: only before a typical sentence opener ("the U.S. The"), or at the very end;
time: "a.m." ends the sentence unless a day, month or time zone follows ("9 a.m. Monday").
"""

# --- Abbreviations with a period ---------------------------------------------------------------

TITLES: Final = {
    "Adm": "Admiral",
    "Amb": "Ambassador",
    "Brig": "Brigadier",
    "Capt": "Captain",
    "Cmdr": "Commander",
    "Col": "Colonel",
    "Cpl": "Corporal",
    "Fr": "Father",
    "Gen": "General",
    "Gov": "Governor",
    "Lt": "Lieutenant",
    "Maj": "Major",
    "Mr": "Mister",
    "Mrs": "Missus",
    "Ms": "Miz",
    "Pres": "President",
    "Prof": "Professor",
    "Pvt": "Private",
    "Rep": "Representative",
    "Rev": "Reverend",
    "Sen": "Senator",
    "Sgt": "Sergeant",
    "Mt": "Mount",
    "Ft": "Fort",
}
LATIN: Final = {
    "e.g": "for example",
    "i.e": "that is",
    "vs": "versus",
    "v": "versus",
    "a.k.a": "also known as",
    "approx": "approximately",
}
OTHER_ABBREVIATIONS: Final = {
    "etc": "et cetera",
    "Inc": "Incorporated",
    "Corp": "Corporation",
    "Ltd": "Limited",
    "Jr": "Junior",
    "Sr": "Senior",
    "Ave": "Avenue",
    "Blvd": "Boulevard",
    "Rd": "Road",
    "Dept": "Department",
    "Ph.D": "P.H.D",
}
# Read by their neighbours: a name after a lowercase word is a saint or a doctor
# ("in St. Petersburg", "Dr. Tedros"); after a capitalised name or a number it is an address
# ("Downing St. today", "5th St.").
NAME_OR_PLACE: Final = {"St": ("Saint", "Street"), "Dr": ("Doctor", "Drive")}

PARTIES: Final = {"R": "Republican", "D": "Democrat", "I": "Independent"}
US_STATES: Final = {
    # AP style abbreviations (dots removed) and postal codes.
    "Ala": "Alabama",
    "AL": "Alabama",
    "Alaska": "Alaska",
    "AK": "Alaska",
    "Ariz": "Arizona",
    "AZ": "Arizona",
    "Ark": "Arkansas",
    "AR": "Arkansas",
    "Calif": "California",
    "CA": "California",
    "Colo": "Colorado",
    "CO": "Colorado",
    "Conn": "Connecticut",
    "CT": "Connecticut",
    "Del": "Delaware",
    "DE": "Delaware",
    "Fla": "Florida",
    "FL": "Florida",
    "Ga": "Georgia",
    "GA": "Georgia",
    "Hawaii": "Hawaii",
    "HI": "Hawaii",
    "Idaho": "Idaho",
    "ID": "Idaho",
    "Ill": "Illinois",
    "IL": "Illinois",
    "Ind": "Indiana",
    "IN": "Indiana",
    "Iowa": "Iowa",
    "IA": "Iowa",
    "Kan": "Kansas",
    "KS": "Kansas",
    "Ky": "Kentucky",
    "KY": "Kentucky",
    "La": "Louisiana",
    "LA": "Louisiana",
    "Maine": "Maine",
    "ME": "Maine",
    "Md": "Maryland",
    "MD": "Maryland",
    "Mass": "Massachusetts",
    "MA": "Massachusetts",
    "Mich": "Michigan",
    "MI": "Michigan",
    "Minn": "Minnesota",
    "MN": "Minnesota",
    "Miss": "Mississippi",
    "MS": "Mississippi",
    "Mo": "Missouri",
    "MO": "Missouri",
    "Mont": "Montana",
    "MT": "Montana",
    "Neb": "Nebraska",
    "NE": "Nebraska",
    "Nev": "Nevada",
    "NV": "Nevada",
    "N.H": "New Hampshire",
    "NH": "New Hampshire",
    "N.J": "New Jersey",
    "NJ": "New Jersey",
    "N.M": "New Mexico",
    "NM": "New Mexico",
    "N.Y": "New York",
    "NY": "New York",
    "N.C": "North Carolina",
    "NC": "North Carolina",
    "N.D": "North Dakota",
    "ND": "North Dakota",
    "Ohio": "Ohio",
    "OH": "Ohio",
    "Okla": "Oklahoma",
    "OK": "Oklahoma",
    "Ore": "Oregon",
    "OR": "Oregon",
    "Pa": "Pennsylvania",
    "PA": "Pennsylvania",
    "R.I": "Rhode Island",
    "RI": "Rhode Island",
    "S.C": "South Carolina",
    "SC": "South Carolina",
    "S.D": "South Dakota",
    "SD": "South Dakota",
    "Tenn": "Tennessee",
    "TN": "Tennessee",
    "Texas": "Texas",
    "TX": "Texas",
    "Utah": "Utah",
    "UT": "Utah",
    "Vt": "Vermont",
    "VT": "Vermont",
    "Va": "Virginia",
    "VA": "Virginia",
    "Wash": "Washington",
    "WA": "Washington",
    "W.Va": "West Virginia",
    "WV": "West Virginia",
    "Wis": "Wisconsin",
    "WI": "Wisconsin",
    "Wyo": "Wyoming",
    "WY": "Wyoming",
}

# --- Money and measures --------------------------------------------------------------------------


class Currency(NamedTuple):
    one: str
    many: str
    cent: str
    cents: str


DOLLAR: Final = Currency("dollar", "dollars", "cent", "cents")
EURO: Final = Currency("euro", "euros", "cent", "cents")
POUND: Final = Currency("pound", "pounds", "penny", "pence")
# "hryvnia" is respelled: espeak reads the "h" of "hryvnia" as the letter "aitch".
HRYVNIA: Final = Currency("hrivnia", "hrivnias", "kopiyka", "kopiykas")
RUBLE: Final = Currency("ruble", "rubles", "kopeck", "kopecks")
CURRENCIES: Final = {
    "$": DOLLAR,
    "US$": Currency("U.S dollar", "U.S dollars", "cent", "cents"),
    "USD": DOLLAR,
    "€": EURO,
    "EUR": EURO,
    "£": POUND,
    "GBP": POUND,
    "₴": HRYVNIA,
    "UAH": HRYVNIA,
    "₽": RUBLE,
    "RUB": RUBLE,
}

# unit: (one, many). Checked longest first, so "km/h" wins over "km".
UNITS: Final = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "m/s": ("meter per second", "meters per second"),
    "sq km": ("square kilometer", "square kilometers"),
    "sq. km": ("square kilometer", "square kilometers"),
    "km²": ("square kilometer", "square kilometers"),
    "km2": ("square kilometer", "square kilometers"),
    "km": ("kilometer", "kilometers"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "kg": ("kilogram", "kilograms"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "t": ("metric ton", "metric tons"),
    "ha": ("hectare", "hectares"),
    "kW": ("kilowatt", "kilowatts"),
    "MW": ("megawatt", "megawatts"),
    "GW": ("gigawatt", "gigawatts"),
    "kWh": ("kilowatt-hour", "kilowatt-hours"),
    "MWh": ("megawatt-hour", "megawatt-hours"),
}
# Units that must be written apart from the number ("500 t"), never glued ("500t").
SPACED_ONLY_UNITS: Final = frozenset({"t", "mi", "ha"})
TEMPERATURE_SCALES: Final = {"C": "Celsius", "F": "Fahrenheit"}
# Words after "155mm" that show a calibre; glued "mm" reads as a calibre unless "of" follows.
# Glued "m" means million when a plural noun or "of" follows ("4m drones"), meters otherwise.
MILLION_FOLLOWERS: Final = frozenset({"of", "people", "children", "civilians", "residents"})

# --- Weapons and other letter-number designations ------------------------------------------

# How each prefix of a hyphenated designation is read. All-caps prefixes not listed here are
# spelled letter by letter ("MH-17", "AK-47").
DESIGNATION_PREFIXES: Final = {
    "Su": "S.U",  # Sukhoi: Su-25, Su-34
    "MiG": "Mig",  # MiG-29, MiG-31
    "Ka": "K.A",  # Kamov: Ka-52
    "Mi": "M.I",  # Mil: Mi-8, Mi-24
    "Tu": "T.U",  # Tupolev: Tu-95, Tu-22M3
    "Il": "I.L",  # Ilyushin: Il-76
    "An": "A.N",  # Antonov: An-124
    "Kh": "K.H",  # Russian missiles: Kh-101
    "Shahed": "Shahed",  # Shahed-136
    "Geran": "Geran",  # Geran-2
    "Lancet": "Lancet",  # Lancet-3
    "Covid": "Co-vid",
    "PAC": "Pack",  # Patriot PAC-3: "pack three"
    "AIM": "Aim",  # AIM-9, AIM-120
}
# Names followed by a model number after a space, read like designations: "Boeing 737".
SPACED_DESIGNATIONS: Final = frozenset({"Boeing", "Airbus", "Leopard", "Challenger"})

# --- Letters: initialisms and acronyms ---------------------------------------------------------

# All-caps words said as words, with a spelling espeak reads right.
ACRONYM_WORDS: Final = {
    "NATO": "Nato",
    "HIMARS": "High-mars",
    "NASA": "Nasa",
    "OPEC": "Opec",
    "UNESCO": "You-nesco",
    "UNICEF": "Unicef",
    "COVID": "Co-vid",
    "ATACMS": "Attackums",
    "NASAMS": "Nasams",
    "MANPADS": "Man-pads",
    "AWACS": "Awacs",
    "SCALP": "Scalp",
    "IRIS": "Iris",
    "SWIFT": "Swift",
    "FIFA": "Fifa",
    "ASEAN": "Asean",
    "NORAD": "Nor-ad",
    "INTERPOL": "Interpol",
    "EUROPOL": "Europol",
    "NAFTA": "Nafta",
    "DARPA": "Darpa",
    "OSINT": "Oh-sint",
    "FEMA": "Fee-ma",
    "ICE": "Ice",
    "AIDS": "Aids",
    "ISIS": "Isis",
    "HAMAS": "Hamas",
    "START": "Start",
    "PAC": "Pack",
}
# Spelled out even when long or inside an all-caps headline.
KNOWN_INITIALISMS: Final = frozenset(
    [
        "US",
        "UK",
        "EU",
        "UN",
        "UAE",
        "USSR",
        "IAEA",
        "ISW",
        "SBU",
        "FSB",
        "GUR",
        "CIA",
        "FBI",
        "NSA",
        "KGB",
        "OSCE",
        "UNHCR",
        "OHCHR",
        "ICC",
        "ICJ",
        "IMF",
        "WHO",
        "NGO",
        "UAV",
        "UAVs",
        "ICBM",
        "NPP",
        "ZNPP",
        "AP",
        "BBC",
        "CNN",
    ]
)
# All-caps words longer than this are read as ordinary words ("BREAKING"), shorter ones spelled.
MAX_SPELLED_LETTERS: Final = 5

# --- Roman numerals ----------------------------------------------------------------------------

REGNAL_TITLES: Final = frozenset(
    [
        "King",
        "Queen",
        "Pope",
        "Tsar",
        "Czar",
        "Emperor",
        "Empress",
        "Prince",
        "Princess",
        "Sultan",
        "Patriarch",
        "Kaiser",
        "Shah",
    ]
)
# Given names that take a regnal number: "Elizabeth II" -> "Elizabeth the Second".
REGNAL_NAMES: Final = frozenset(
    [
        "Elizabeth",
        "Charles",
        "George",
        "Henry",
        "Edward",
        "William",
        "James",
        "Richard",
        "Mary",
        "Victoria",
        "Anne",
        "Louis",
        "Leo",
        "Benedict",
        "Francis",
        "Pius",
        "Gregory",
        "Clement",
        "Innocent",
        "Urban",
        "Paul",
        "John",
        "Peter",
        "Nicholas",
        "Alexander",
        "Catherine",
        "Ivan",
        "Frederick",
        "Frederik",
        "Felipe",
        "Philip",
        "Carlos",
        "Carl",
        "Harald",
        "Olav",
        "Haakon",
        "Mohammed",
        "Abdullah",
        "Hussein",
        "Bartholomew",
        "Napoleon",
        "Wilhelm",
        "Ludwig",
        "Constantine",
        "Rama",
        "Juan",
    ]
)
# Words after which a Roman numeral is a plain number: "World War II" -> "World War Two".
ROMAN_CARDINAL_CONTEXT: Final = frozenset(
    [
        "War",
        "Phase",
        "Part",
        "Chapter",
        "Title",
        "Article",
        "Act",
        "Stage",
        "Level",
        "Class",
        "Type",
        "Block",
        "Section",
        "Volume",
        "Book",
        "Vatican",
        "Minsk",
        "Bowl",
        "Apollo",
        "Gemini",
        "Mark",
        "Unit",
        "Round",
        "Grade",
        "Category",
        "Tier",
        "Protocol",
        "Schedule",
        "Reactor",
    ]
)
ROMAN_VALUES: Final = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}

# --- Symbols, links, punctuation ---------------------------------------------------------------

SYMBOL_WORDS: Final = {
    "&": "and",
    "%": "percent",
    "+": "plus",
    "=": "equals",
    "@": "at",
    "°": "degrees",
    "~": "about",
    "≈": "about",
    "±": "plus or minus",
    "<": "less than",
    ">": "more than",
    "≤": "at most",
    "≥": "at least",
}
URL_TLDS: Final = [
    "com",
    "org",
    "net",
    "gov",
    "edu",
    "mil",
    "int",
    "info",
    "news",
    "io",
    "eu",
    "ua",
    "uk",
    "us",
    "ru",
    "de",
    "fr",
    "pl",
    "it",
    "es",
    "nl",
    "be",
    "ch",
    "at",
    "se",
    "no",
    "fi",
    "dk",
    "cz",
    "ro",
    "md",
    "ge",
    "lt",
    "lv",
    "ee",
    "ca",
    "au",
    "co",
]
URL_SYMBOLS: Final = {
    ".": "dot",
    "/": "slash",
    "-": "dash",
    "_": "underscore",
    "@": "at",
    "~": "tilde",
    "#": "hash",
    "+": "plus",
    "=": "equals",
    "&": "and",
    "?": "question mark",
}
# Opening and closing quotation marks that are not read (the apostrophe is handled apart).
QUOTE_MARKS: Final = '"“”„‟«»‹›'
# Emoji, pictographs, flags, dingbats and the joiners and selectors between them.
EMOJI_RANGES: Final = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0e\ufe0f\u200d\u20e3"
)
