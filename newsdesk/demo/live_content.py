"""The demo newsroom's live feed: one stormy night in Zelenobrid, as plain data.

Everything here is invented, like the rest of the demo (see newsdesk.demo.content): the city,
its utilities, officials and residents do not exist, and the links point at example.org.

Times are local clock times in the newsroom's time zone: ("evening", "19:40") is 7:40 p.m. on
the evening the storm arrived and ("morning", "10:50") is 10:50 a.m. the next day. The loader
puts the morning on the latest day whose last update is at least 20 minutes old, so the feed
always crosses local midnight and always looks recent.

TIMELINE is in time order. Each entry either posts an update (it has a "headline"), or changes
one posted earlier: {"retract": key, ...} marks it retracted with an editor's note at the top,
and {"correct": key, ...} adds a dated correction and the corrected fields. Body paragraphs are
plain text; the loader escapes them and wraps them in <p>.
"""

FEED = {
    "slug": "zelenobrid-storm",
    "title": "Storm over Zelenobrid: power cuts, fallen trees and flooded underpasses",
    "summary": (
        "Live updates as a night of gales and heavy rain knocks out power across parts of "
        "Zelenobrid. Where to find shelter, water and help, and when services come back."
    ),
    # The desk's "What we know" box, as it stood after the last update of the timeline.
    "what_we_know": (
        "About 2,300 homes are still without power; at the peak 61,500 were cut off.\n"
        "No serious injuries have been reported.\n"
        "Trams run on every route again; the Vokzalna underpass stays closed.\n"
        "137 trees came down across the city.\n"
        "Left Bank schools are closed today; residents can apply to the city for help "
        "with storm damage."
    ),
}

HYDROMET = "Regional hydrometeorological center"
POWER = "Zelenobrid Oblenergo, the regional power company"
CITY = "Zelenobrid City Council"
RESCUE = "State Emergency Service, Zelenobrid Oblast"
TRANSPORT = "Zelenobrid Electrotrans, the city tram operator"
VODOKANAL = "Zelenobrid Vodokanal, the city water utility"

TIMELINE = [
    {
        "key": "warning",
        "at": ("evening", "19:40"),
        "headline": "Storm warning for Zelenobrid: gusts of up to 90 km/h expected tonight",
        "body": [
            "Forecasters issued an orange warning for Zelenobrid and the Brid valley from 8 p.m. "
            "tonight until 6 a.m. tomorrow. They expect gusts of 80 to 90 km/h and 30 to 45 mm "
            "of rain, with the strongest wind between 10 p.m. and 1 a.m.",
            "The city asked residents to bring in balcony furniture, park away from trees and "
            "charge phones and power banks before the storm arrives.",
        ],
        "authors": ["news-desk"],
        "source_name": HYDROMET,
        "source_channel": "website",
        "source_url": "https://example.org/hydromet/warnings/zelenobrid",
        "verification": "official",
        "key_event": True,
    },
    {
        "key": "trams-early",
        "at": ("evening", "20:12"),
        "headline": "Left Bank trams stop early as wind picks up",
        "body": [
            "Trams on routes 3, 5 and 8, which cross the Central Bridge to the Left Bank, will "
            "make their last runs at 8:45 p.m. instead of 11 p.m., the tram operator said. "
            "Buses 12 and 19 will run until midnight.",
        ],
        "authors": ["solomiia-verbenko"],
        "source_name": TRANSPORT,
        "source_channel": "Telegram",
        "verification": "official",
    },
    {
        "key": "first-trees",
        "at": ("evening", "20:35"),
        "headline": "First trees down on Myru Avenue",
        "body": [
            "A large poplar fell across two lanes of Myru Avenue near the Sports Palace at about "
            "8:25 p.m., our reporter at the scene said. No one was hurt. Firefighters were "
            "cutting it up, and traffic was moving slowly in one lane.",
        ],
        "authors": ["taras-hnatiuk"],
        "source_name": "Newsdesk reporter at the scene",
        "source_channel": "reporting",
        "verification": "confirmed",
    },
    {
        "key": "outage-starts",
        "at": ("evening", "20:58"),
        "headline": "Power out in parts of the Left Bank",
        "body": [
            "Homes on about 20 streets of the Left Bank lost power just before 9 p.m. The power "
            "company said the wind had brought down a 10-kilovolt line near the Pivnichna "
            "substation and crews would go out as soon as it was safe to climb.",
        ],
        "authors": ["taras-hnatiuk"],
        "source_name": POWER,
        "source_channel": "Telegram",
        "source_time_minutes_before": 6,
        "verification": "official",
    },
    {
        "key": "rain-gauge",
        "at": ("evening", "21:20"),
        "headline": "38 mm of rain in 90 minutes at the city gauge",
        "body": [
            "The gauge at the Central Bridge recorded 38 mm of rain between 7:45 and 9:15 p.m., "
            "more than half of what usually falls in Zelenobrid in a month. The river itself is "
            "well below flood level, 3.1 meters at the bridge, so the water on the streets is "
            "rain that the drains cannot take.",
        ],
        "authors": ["daryna-oliinyk"],
        "source_name": HYDROMET,
        "source_channel": "open data portal",
        "source_url": "https://example.org/hydromet/gauges/central-bridge",
        "verification": "confirmed",
    },
    {
        "key": "river-video",
        "at": ("evening", "21:45"),
        "headline": "Video shared online appears to show water over the embankment road",
        "body": [
            "A video shared widely in local chat groups appears to show water covering the "
            "embankment road at the foot of Rybalska Street. We have not been able to confirm "
            "when or where it was filmed and have asked the city for comment.",
        ],
        "authors": ["mykyta-sirenko"],
        "source_name": "Video shared in local chat groups",
        "source_channel": "social media",
        "verification": "unverified",
    },
    {
        "key": "underpasses",
        "at": ("evening", "22:05"),
        "headline": "Underpasses flooded on Vokzalna Street and at the Central Market",
        "body": [
            "Police closed the underpasses on Vokzalna Street and next to the Central Market, "
            "where water was about 60 cm deep. Two cars stalled in the Vokzalna underpass; their "
            "drivers got out safely.",
            "Police asked drivers not to try to cross flooded roads and to use the Shevchenko "
            "Street overpass instead.",
        ],
        "authors": ["solomiia-verbenko"],
        "source_name": "Zelenobrid city police",
        "source_channel": "Telegram",
        "verification": "confirmed",
    },
    {
        "key": "outage-count",
        "at": ("evening", "22:20"),
        "headline": "About 38,000 homes without power",
        "body": [
            "About 38,000 homes in Zelenobrid were without electricity at 10:15 p.m., most of "
            "them on the Left Bank and in the Pivnichnyi district, the power company said. "
            "Hospitals and the water utility's pumping stations have backup generators.",
        ],
        "authors": ["taras-hnatiuk"],
        "source_name": POWER,
        "source_channel": "press briefing",
        "verification": "official",
    },
    {
        "key": "lisova-roof",
        "at": ("evening", "22:31"),
        "headline": "Residents report part of a roof torn off on Lisova Street",
        "body": [
            "Several residents of a five-story apartment block on Lisova Street posted photos "
            "in a neighborhood chat group that appear to show sheets of metal roofing torn off "
            "and lying in the courtyard. We are trying to reach the building's management "
            "company and the rescue service to confirm.",
        ],
        "authors": ["roman-tereshko"],
        "source_name": "Residents' posts in a neighborhood chat group",
        "source_channel": "social media",
        "verification": "unverified",
    },
    {
        "retract": "river-video",
        "at": ("evening", "22:40"),
        "note": (
            "Editor's note, 10:40 p.m.: This video was filmed during the April 2016 flood, not "
            "tonight. The city confirmed that the embankment road is dry and open. We have "
            "marked this update as retracted and left it here so readers can see what we "
            "reported."
        ),
    },
    {
        "key": "call-101",
        "at": ("evening", "22:55"),
        "headline": "Emergency line busy: call 101 only if someone is in danger",
        "body": [
            "Rescuers said the 101 emergency line had taken more than 400 calls since 8 p.m. "
            "They asked residents to report fallen trees and downed wires that do not block "
            "a road or threaten anyone to the city's hotline at 1580 instead.",
            "Stay away from fallen power lines, even if they look dead.",
        ],
        "authors": ["news-desk"],
        "source_name": RESCUE,
        "source_channel": "Facebook",
        "verification": "official",
    },
    {
        "correct": "outage-count",
        "at": ("evening", "23:05"),
        "text": (
            "An earlier version of this update said about 38,000 homes were without power. "
            "The power company's figure at 10:15 p.m. was about 28,000."
        ),
        "headline": "About 28,000 homes without power",
        "body": [
            "About 28,000 homes in Zelenobrid were without electricity at 10:15 p.m., most of "
            "them on the Left Bank and in the Pivnichnyi district, the power company said. "
            "Hospitals and the water utility's pumping stations have backup generators.",
        ],
    },
    {
        "key": "outage-peak",
        "at": ("evening", "23:15"),
        "headline": "Outage peaks: 61,500 homes without power as second line fails",
        "body": [
            "A second high-voltage line, between the Pivnichna and Zatonna substations, shut "
            "down at 11:02 p.m., cutting power to about 61,500 homes, roughly one in four in "
            "the city. The power company said it would not send crews up until the wind drops "
            "below 15 meters a second, or about 54 km/h.",
        ],
        "authors": ["taras-hnatiuk"],
        "source_name": POWER,
        "source_channel": "Telegram",
        "source_url": "https://example.org/oblenergo/outages",
        "source_time_minutes_before": 9,
        "verification": "official",
        "key_event": True,
    },
    {
        "key": "shelter",
        "at": ("evening", "23:30"),
        "headline": "Where to find shelter, power and drinking water",
        "body": [
            "Two shelters are open all night with beds, heating and hot drinks: School No. 17 on "
            "Zatonna Street and the Sports Palace on Myru Avenue. Both take pets in carriers.",
            "Six charging points with generators are open until 8 a.m. at the Central Library, "
            "the Left Bank district office and the fire stations on Vokzalna, Rybalska, Lisova "
            "and Kyivska streets.",
            "Drinking water is handed out from tanker trucks outside School No. 17 and at the "
            "corner of Verbova and Zatonna streets. Bring your own containers. For help, call "
            "the city hotline at 1580, or 101 in an emergency.",
        ],
        "authors": ["news-desk", "solomiia-verbenko"],
        "source_name": CITY,
        "source_channel": "website",
        "source_url": "https://example.org/zelenobrid/storm-help",
        "verification": "official",
        "pinned": True,
    },
    {
        "key": "pressure",
        "at": ("evening", "23:52"),
        "headline": "Weak water pressure on upper floors of Left Bank high-rises",
        "body": [
            "The water utility said its pumping stations were running on generators but that "
            "buildings taller than nine floors on the Left Bank might get little or no water "
            "until power returns, because their own booster pumps are electric.",
        ],
        "authors": ["taras-hnatiuk"],
        "source_name": VODOKANAL,
        "source_channel": "Facebook",
        "verification": "official",
    },
    {
        "key": "wind-eases",
        "at": ("morning", "00:18"),
        "headline": "Wind begins to ease after midnight",
        "body": [
            "The strongest gust of the night, 87 km/h, was recorded at the airport at 11:41 p.m. "
            "Forecasters said the wind should drop below 50 km/h by 2 a.m. and the rain should "
            "end by 4 a.m.",
        ],
        "authors": ["daryna-oliinyk"],
        "source_name": HYDROMET,
        "source_channel": "website",
        "source_url": "https://example.org/hydromet/observations/airport",
        "verification": "official",
    },
    {
        "key": "crews-out",
        "at": ("morning", "00:47"),
        "headline": "Repair crews head out to the Pivnichna line",
        "body": [
            "Fourteen repair crews have started work on the two failed lines, the power company "
            "said, with the first homes expected back on by about 3 a.m. Crews from Yasenohrad "
            "and Kalynopil are on their way to help.",
        ],
        "authors": ["roman-tereshko"],
        "source_name": POWER,
        "source_channel": "Telegram",
        "verification": "official",
    },
    {
        "key": "rybalska",
        "at": ("morning", "01:30"),
        "headline": "Residents and city disagree over flooding on Rybalska Street",
        "body": [
            "The city said at 1 a.m. that water had drained from all streets on the Left Bank. "
            "Residents of Rybalska Street told our reporter that several basements were still "
            "flooded and that they had been pumping them out themselves since 11 p.m.",
            "The city's press office said it would send a crew to check in the morning.",
        ],
        "authors": ["solomiia-verbenko"],
        "source_name": "Residents of Rybalska Street and the city press office",
        "source_channel": "interviews",
        "verification": "disputed",
    },
    {
        "key": "shelter-count",
        "at": ("morning", "02:10"),
        "headline": "86 people spend the night at School No. 17",
        "body": [
            "The shelter at School No. 17 was hosting 86 people, 19 of them children, when we "
            "visited at 2 a.m. Most came from high-rises on Verbova Street with no power or "
            "water. Volunteers were serving tea and buckwheat porridge.",
        ],
        "authors": ["mykyta-sirenko"],
        "source_name": "Newsdesk reporter at the scene",
        "source_channel": "reporting",
        "verification": "confirmed",
    },
    {
        "key": "no-injuries",
        "at": ("morning", "03:05"),
        "headline": "No serious injuries reported overnight",
        "body": [
            "Rescuers said they had answered 512 calls since 8 p.m., cleared 74 trees from roads "
            "and pumped water from 31 basements. Two people were treated for minor cuts from "
            "broken glass. No one was taken to the hospital.",
        ],
        "authors": ["news-desk"],
        "source_name": RESCUE,
        "source_channel": "press release",
        "source_url": "https://example.org/rescue/zelenobrid/overnight",
        "verification": "official",
    },
    {
        "key": "pumping-grid",
        "at": ("morning", "04:20"),
        "headline": "Pivnichna pumping station back on grid power",
        "body": [
            "The pumping station that supplies most of the Left Bank switched from its "
            "generators back to the grid at 4:05 a.m. The water utility said pressure should be "
            "normal on all floors within two hours wherever buildings have power.",
        ],
        "authors": ["taras-hnatiuk"],
        "source_name": VODOKANAL,
        "source_channel": "Telegram",
        "verification": "official",
    },
    {
        "key": "first-restored",
        "at": ("morning", "05:40"),
        "headline": "Power back for 41,000 homes",
        "body": [
            "Repairs to the Pivnichna-Zatonna line were finished at 5:20 a.m., bringing power "
            "back to about 41,000 homes. About 20,500 were still waiting, the power company said.",
        ],
        "authors": ["taras-hnatiuk"],
        "source_name": POWER,
        "source_channel": "Telegram",
        "verification": "official",
    },
    {
        "key": "most-restored",
        "at": ("morning", "06:30"),
        "headline": "Most of the city has power again; about 9,000 homes still waiting",
        "body": [
            "About 52,500 of the 61,500 homes that lost power overnight had it back by 6:30 "
            "a.m. The rest, mostly in private houses on the Left Bank where trees fell on local "
            "wires, should be reconnected during the day, the power company said.",
        ],
        "authors": ["taras-hnatiuk", "daryna-oliinyk"],
        "source_name": POWER,
        "source_channel": "press briefing",
        "source_url": "https://example.org/oblenergo/outages",
        "verification": "official",
        "key_event": True,
    },
    {
        "key": "schools",
        "at": ("morning", "07:15"),
        "headline": "Left Bank schools closed today; the rest open as usual",
        "body": [
            "Nine schools on the Left Bank are closed today and will teach online from 9 a.m. "
            "School No. 17 stays a shelter until the evening. All other schools and "
            "kindergartens are open.",
        ],
        "authors": ["lesia-pavliuk"],
        "source_name": "Zelenobrid city education department",
        "source_channel": "website",
        "verification": "official",
    },
    {
        "key": "commute",
        "at": ("morning", "07:50"),
        "headline": "Morning commute: Vokzalna underpass still closed",
        "body": [
            "The Central Market underpass reopened at 7 a.m., but the one on Vokzalna Street "
            "is still closed while crews clear mud from the road. Expect delays of 15 to 20 "
            "minutes on Shevchenko Street, our reporter said.",
        ],
        "authors": ["solomiia-verbenko"],
        "source_name": "Newsdesk reporter and the city police",
        "source_channel": "reporting",
        "verification": "confirmed",
    },
    {
        "key": "trees-count",
        "at": ("morning", "08:35"),
        "headline": "137 trees down across the city, parks service says",
        "body": [
            "The city parks service has counted 137 fallen trees, 41 of them on the Left Bank "
            "and 23 in Peremohy Park, which is closed today. It asked residents to send photos "
            "of damaged trees near homes to the 1580 hotline so they can be checked first.",
        ],
        "authors": ["daryna-oliinyk"],
        "source_name": "Zelenobrid city parks service",
        "source_channel": "Telegram",
        "verification": "official",
    },
    {
        "key": "compensation",
        "at": ("morning", "09:20"),
        "headline": "Storm damage: how to apply for help from the city",
        "body": [
            "Owners of homes and cars damaged by falling trees on city land can apply for "
            "compensation of up to ₴50,000 at any district office or online until the end of "
            "next month, the city council said. Applications need photos of the damage and a "
            "report from the police or rescuers.",
            "Insurers said most home policies cover storm damage but not flooding from "
            "overloaded drains, so residents should check their terms.",
        ],
        "authors": ["lesia-pavliuk"],
        "source_name": CITY,
        "source_channel": "press briefing",
        "source_url": "https://example.org/zelenobrid/storm-compensation",
        "verification": "official",
    },
    {
        "key": "trams-back",
        "at": ("morning", "10:15"),
        "headline": "Trams run again on every route",
        "body": [
            "Tram service returned to all routes at 10 a.m., after crews cleared two trees from "
            "the tracks on Lisova Street and repaired a damaged overhead wire near the Central "
            "Bridge.",
        ],
        "authors": ["solomiia-verbenko"],
        "source_name": TRANSPORT,
        "source_channel": "Telegram",
        "verification": "official",
        "key_event": True,
    },
    {
        "key": "remaining",
        "at": ("morning", "10:50"),
        "headline": "About 2,300 homes still without power",
        "body": [
            "About 2,300 homes, most of them private houses in the Left Bank's Zatonnyi "
            "neighborhood, were still without power at 10:30 a.m. The power company expects to "
            "reconnect all of them by 6 p.m. We will keep updating this page.",
        ],
        "authors": ["taras-hnatiuk"],
        "source_name": POWER,
        "source_channel": "Telegram",
        "source_time_minutes_before": 20,
        "verification": "official",
    },
]
