"""The demo newsroom's content: plain data, loaded by newsdesk.demo.loader.

Everything here is invented. Zelenobrid, Zelenobrid Oblast, the Brid River, the towns and
villages, the people and their quotes do not exist, so that no reader mistakes a demo site for
real news. The text is written to exercise a narrator: numbers, money in three currencies,
dates, clock times, ordinals, abbreviations and units.

Publication times are offsets from the moment of loading, in the newsroom's time zone:
{"days_ago": 2, "time": "00:17"} is 12:17 a.m. local time two days ago, and
{"hours_ago": 2} is two hours before loading. Corrections and updates are hours after
publication. Body paragraphs are plain text; the loader escapes them and wraps them in <p>.
"""

DEMO_CREDIT = "Illustration: Newsdesk demo"

TOPICS = [
    {
        "name": "Zelenobrid",
        "slug": "zelenobrid",
        "description": (
            "News from Zelenobrid, the invented city on the Brid River where the Newsdesk demo "
            "is set: city hall, services and daily life."
        ),
    },
    {
        "name": "Infrastructure",
        "slug": "infrastructure",
        "description": (
            "Water, power, heating, roads and railways, and the repairs that keep them going."
        ),
    },
    {
        "name": "Economy",
        "slug": "economy",
        "description": "Budgets, prices, wages and local business in Zelenobrid Oblast.",
    },
    {
        "name": "Security",
        "slug": "security",
        "description": "Air-raid alerts, shelters, demining and official safety advice.",
    },
    {
        "name": "Education",
        "slug": "education",
        "description": "Schools, libraries and learning, in person and online.",
    },
    {
        "name": "Environment",
        "slug": "environment",
        "description": "The Brid River, weather, farmland and the land around the city.",
    },
]

AUTHORS = [
    {
        "name": "Solomiia Verbenko",
        "slug": "solomiia-verbenko",
        "role": "Senior correspondent",
        "bio": (
            "Solomiia covers city hall and the towns of the Brid valley for the demo newsroom. "
            "Like every person and place on this site, she is fictional."
        ),
    },
    {
        "name": "Taras Hnatiuk",
        "slug": "taras-hnatiuk",
        "role": "Infrastructure reporter",
        "bio": (
            "Taras writes about water, power and heating, and the crews who keep them running. "
            "He is an invented reporter who trained as a civil engineer."
        ),
    },
    {
        "name": "Lesia Pavliuk",
        "slug": "lesia-pavliuk",
        "role": "Economy reporter",
        "bio": (
            "Lesia follows budgets, prices and local business, and reads the spending plans so "
            "readers do not have to. She is a fictional member of the demo newsroom."
        ),
    },
    {
        "name": "Daryna Oliinyk",
        "slug": "daryna-oliinyk",
        "role": "Data journalist",
        "bio": (
            "Daryna turns public records and surveys into numbers readers can check. "
            "She is an invented journalist who keeps the demo newsroom's datasets."
        ),
    },
    {
        "name": "Mykyta Sirenko",
        "slug": "mykyta-sirenko",
        "role": "Photo editor",
        "bio": (
            "Mykyta edits the demo newsroom's pictures and checks every caption and credit. "
            "He is fictional, and so are the places he photographs."
        ),
    },
    {
        "name": "Roman Tereshko",
        "slug": "roman-tereshko",
        "role": "Regional correspondent, Yasenohrad",
        "bio": (
            "Roman reports from the northern districts of the invented Zelenobrid Oblast, "
            "with a focus on farming, demining and rural services."
        ),
    },
    {
        "name": "News Desk",
        "slug": "news-desk",
        "kind": "desk",
        "role": "Zelenobrid newsroom",
        "bio": (
            "Stories by the News Desk are written and checked by several editors working "
            "together, often overnight or as news breaks. The newsroom is fictional."
        ),
    },
]

ARTICLES = [
    {
        "slug": "left-bank-water-restored",
        "headline": "Running water returns to Zelenobrid's Left Bank after pumping station repair",
        "standfirst": (
            "Engineers replaced two damaged pumps at the Pivnichna station, restoring supply to "
            "about 46,000 residents after an outage that lasted 68 hours."
        ),
        "authors": ["taras-hnatiuk"],
        "topics": ["infrastructure", "zelenobrid"],
        "published": {"days_ago": 1, "time": "16:40"},
        "hero": {
            "title": "Pivnichna pumping station on the Brid River (demo illustration)",
            "scene": "river",
            "seed": 101,
            "palette": "morning",
            "alt": (
                "Illustration: green hills and a wide blue river under a pale morning sky, "
                "with a low sun on the horizon."
            ),
            "caption": "The Pivnichna station draws water from the Brid River north of the city.",
        },
        "body": [
            (
                "paragraph",
                "Tap water was flowing again in most homes on the Left Bank of Zelenobrid by "
                "10:47 AM today, the city water utility, Zelenobrid Vodokanal, said, ending an "
                "outage that had lasted 68 hours.",
            ),
            (
                "paragraph",
                "The utility said 41,800 of the roughly 46,000 residents affected had normal "
                "pressure by midday. Crews were still releasing trapped air from the pipes of 14 "
                "high-rise buildings on Verbova Street, where the upper floors may have a weak "
                "supply until this evening.",
            ),
            (
                "paragraph",
                "The outage began when the Pivnichna pumping station, which lifts water from the "
                "Brid River 2.3 km upstream of the city center, lost power during an overnight "
                "attack three days ago, according to the regional military administration. Two "
                "of its four pumps, each able to move 1,250 cubic meters an hour, burned out "
                "when the power returned unevenly.",
            ),
            ("heading", {"text": "How the repair was done", "level": "h2"}),
            (
                "paragraph",
                "Replacement pumps were brought from a warehouse in Kalynopil, 64 km to the west, "
                "on two flatbed trucks. The utility said the parts cost ₴3.8 million, or about "
                "$91,000, and were paid for from the city's emergency reserve.",
            ),
            (
                "quote",
                {
                    "text": (
                        "We had the new pumps inside the building within 30 hours. Most of the "
                        "remaining time went into testing, because we did not want to switch the "
                        "district back on and lose it again an hour later."
                    ),
                    "attribution": "Viktor Hordiienko, chief engineer, Zelenobrid Vodokanal",
                },
            ),
            (
                "paragraph",
                "Laboratory tests of samples taken at 6 a.m. met the national standard, the "
                "utility said. It still advises residents to boil drinking water for the next "
                "48 hours and to run cold taps for two to three minutes before use. Water trucks "
                "will keep visiting six points on the Left Bank until 8 p.m. tomorrow.",
            ),
            (
                "paragraph",
                "Pivnichna is the 2nd of the city's three pumping stations to need emergency "
                "repairs since Feb. 24, 2022. The utility has asked the city council for ₴12.5 "
                "million to install a backup diesel generator at each site, a request council "
                "members are expected to consider at their next session.",
            ),
        ],
    },
    {
        "slug": "overnight-alert-zelenobrid-oblast",
        "headline": "Overnight air-raid alert in Zelenobrid Oblast lasts 2 hours 42 minutes",
        "standfirst": (
            "Air defense units were active over the northern districts, the regional military "
            "administration said. No injuries were reported."
        ),
        "authors": ["news-desk"],
        "topics": ["security", "zelenobrid"],
        "published": {"days_ago": 2, "time": "00:17"},
        "hero": {
            "title": "Zelenobrid skyline at night (demo illustration)",
            "scene": "night",
            "seed": 202,
            "palette": "night",
            "alt": (
                "Illustration: the dark outline of apartment blocks under a deep blue night sky "
                "with scattered stars and a few lit windows."
            ),
            "caption": "Most of Zelenobrid stayed dark during the alert, as the city asks.",
        },
        "body": [
            (
                "paragraph",
                "An air-raid alert was declared across Zelenobrid Oblast at 9:21 p.m. and lifted "
                "at 12:03 a.m., according to the regional military administration. It was the "
                "region's 4th alert in the past 24 hours and the longest of the week.",
            ),
            (
                "paragraph",
                "The administration said air defense units engaged drones approaching from the "
                "northeast over the Yasenohrad and Kalynopil districts. It did not say how many "
                "drones were involved and said it would publish preliminary figures in the "
                "morning.",
            ),
            (
                "paragraph",
                "In Yasenohrad, about 38 km north of Zelenobrid, falling debris damaged the roof "
                "of a grain warehouse on the edge of the town. The State Emergency Service said a "
                "small fire there was put out by 11:40 p.m. and that no one was inside the "
                "building.",
            ),
            (
                "paragraph",
                "Residents of Zelenobrid reported hearing at least six explosions between 10:15 "
                "p.m. and 10:30 p.m. The city administration said there was no damage within city "
                "limits and that buses and trams would run on their normal schedule from 5:30 "
                "a.m.",
            ),
            (
                "paragraph",
                "All 212 public shelters in the city were open throughout the alert. Staff at the "
                "underground passage beneath the central railway station counted about 1,400 "
                "people sheltering there at the busiest point, shortly after 10 p.m.",
            ),
            (
                "paragraph",
                "Analysts at the Institute for the Study of War (ISW), a Washington-based "
                "research group, regularly describe overnight drone attacks that arrive in "
                "several waves. Local officials asked residents not to leave shelters until an "
                "alert is officially over, even when the sky seems quiet.",
            ),
            (
                "paragraph",
                "This newsroom does not publish the positions of air defense units or photos of "
                "interceptions while an attack is under way. This article will be updated if "
                "officials release new information.",
            ),
        ],
    },
    {
        "slug": "city-budget-approved",
        "headline": "Zelenobrid council approves ₴7.94 billion budget, led by schools and repairs",
        "standfirst": (
            "Council members voted 38 to 6 for next year's spending plan, which sets aside more "
            "for wages and energy and less for roads and public celebrations."
        ),
        "authors": ["lesia-pavliuk"],
        "topics": ["economy", "zelenobrid"],
        "published": {"days_ago": 3, "time": "11:05"},
        "corrections": [
            {
                "hours_after": 4,
                "text": (
                    "An earlier version of this article said the budget passed with 36 votes in "
                    "favor. It passed with 38."
                ),
            }
        ],
        "hero": {
            "title": "City budget chart (demo illustration)",
            "scene": "chart",
            "seed": 303,
            "palette": "warm",
            "alt": (
                "Illustration: rising bars of different heights in warm colors on a cream "
                "background, suggesting a chart."
            ),
            "caption": "Education takes the largest share of next year's city budget.",
        },
        "body": [
            (
                "paragraph",
                "Zelenobrid City Council approved a budget of ₴7.94 billion for next year at a "
                "session that ran from 10 a.m. to just after 3:30 p.m. yesterday. The plan passed "
                "with 38 votes in favor, 6 against and 3 abstentions.",
            ),
            (
                "paragraph",
                "Spending is 11.6% higher than this year's ₴7.11 billion. The head of the city's "
                "finance department, Nadiia Sokolenko, told the session that most of the increase "
                "reflects higher wages for teachers and medical staff and rising energy prices, "
                "rather than new programs.",
            ),
            (
                "paragraph",
                "Education remains the largest item at ₴2.71 billion, or 34.1% of the total. "
                "Repairs to housing and utilities account for ₴1.38 billion, or 17.4%. Road "
                "maintenance was cut by 22%, to ₴310 million, and the budget for the Sept. 14 "
                "City Day celebrations was reduced to ₴1.2 million, a quarter of what the city "
                "spent before 2022.",
            ),
            (
                "paragraph",
                "About ₴640 million is expected to come from international partners, including "
                "a €9.5 million grant from an EU-backed program for municipal water networks. "
                "The city's debt stands at ₴1.05 billion, and payments on it will take 2.4% of "
                "spending.",
            ),
            (
                "paragraph",
                "The six council members who voted against said the plan did too little for the "
                "3rd and 5th electoral districts on the city's northern edge, where many of the "
                "27,500 internally displaced people registered in Zelenobrid live. They had asked "
                "for ₴85 million more for housing there.",
            ),
            (
                "paragraph",
                "Ms. Sokolenko said the city would revisit housing spending in the spring, once "
                "it knows how much it will receive from the state in personal income tax. The "
                "budget takes effect on Jan. 1, once the mayor signs it.",
            ),
        ],
    },
    {
        "slug": "kalynopil-train-resumes",
        "headline": (
            "Direct train to Kalynopil resumes after 3 years, cutting the trip to 85 minutes"
        ),
        "standfirst": (
            "The restored line carries two trains a day in each direction. Tickets cost ₴145, "
            "and the first departure leaves Zelenobrid at 6:12 a.m."
        ),
        "authors": ["solomiia-verbenko", "mykyta-sirenko"],
        "topics": ["infrastructure", "zelenobrid"],
        "published": {"days_ago": 4, "time": "09:30"},
        "hero": {
            "title": "Passenger train leaving Zelenobrid (demo illustration)",
            "scene": "train",
            "seed": 404,
            "palette": "clear",
            "alt": (
                "Illustration: a green and yellow passenger train crossing flat countryside "
                "under a clear sky, with overhead power lines."
            ),
            "caption": "The first train to Kalynopil in more than three years left at 6:12 a.m.",
        },
        "body": [
            (
                "paragraph",
                "The first passenger train in more than three years left Zelenobrid-Pasazhyrskyi "
                "station for Kalynopil at 6:12 a.m. today with 214 passengers on board, the "
                "national railway operator said.",
            ),
            (
                "paragraph",
                "The 87 km line closed in the spring of 2023 after a bridge over the Brid River "
                "near the village of Lypova Hreblia was damaged. Repairs to the 312-meter bridge "
                "took 14 months and cost ₴418 million, according to the regional military "
                "administration, which oversaw the work.",
            ),
            (
                "image",
                {
                    "title": "Rail bridge over the Brid River (demo illustration)",
                    "scene": "bridge",
                    "seed": 405,
                    "palette": "evening",
                    "alt": (
                        "Illustration: a long bridge on dark arches crossing a calm river "
                        "between green hills, under a soft evening sky."
                    ),
                    "caption": (
                        "Trains now cross the Brid River on the rebuilt bridge at no more than "
                        "60 km/h."
                    ),
                },
            ),
            (
                "paragraph",
                "Until now, travelers relied on minibuses that took about 2.5 hours on a road "
                "with several checkpoints. The train takes 1 hour 25 minutes, with stops in "
                "Lypova Hreblia and Stepova Balka. Speed is limited to 60 km/h on the bridge and "
                "100 km/h elsewhere.",
            ),
            (
                "paragraph",
                "Tickets cost ₴145 one way, or ₴98 for students and pensioners. Children under 6 "
                "travel free. The operator said 60% of seats on the first week's trains had been "
                "sold by 8 a.m.",
            ),
            (
                "paragraph",
                "Trains leave Zelenobrid at 6:12 a.m. and 4:40 p.m., and Kalynopil at 8:05 a.m. "
                "and 6:50 p.m. During an air-raid alert, trains stop at the nearest station and "
                "staff direct passengers to shelter.",
            ),
            (
                "paragraph",
                "Hanna, a 67-year-old retired nurse who gave only her first name, said she had "
                'not visited her sister in Kalynopil since the line closed. "The minibus was too '
                'hard on my back," she said on the platform. "Now I can go for the day and be '
                'home for dinner."',
            ),
            (
                "paragraph",
                "A third daily service may be added in the second half of next year if demand "
                "holds, the operator said.",
            ),
        ],
    },
    {
        "slug": "brid-river-rises",
        "headline": (
            "Brid River rises 1.9 meters after heavy rain; low-lying streets told to prepare"
        ),
        "standfirst": (
            "Hydrologists expect the water to peak by tomorrow evening. The city has opened two "
            "temporary shelters and asked residents of 11 streets to be ready to leave."
        ),
        "authors": ["news-desk", "daryna-oliinyk"],
        "topics": ["environment", "zelenobrid"],
        "live_feed": "zelenobrid-storm",
        "published": {"days_ago": 5, "time": "07:50"},
        "updated_hours_after": 6,
        "hero": {
            "title": "The Brid River in flood (demo illustration)",
            "scene": "river",
            "seed": 505,
            "palette": "overcast",
            "alt": (
                "Illustration: a broad river between dark green hills under a gray, overcast sky."
            ),
            "caption": "The Brid River is expected to peak below the level of the embankment road.",
        },
        "body": [
            (
                "paragraph",
                "The Brid River in Zelenobrid stood at 4.62 meters at the Central Bridge gauge at "
                "7 a.m. today, 1.9 meters higher than 48 hours earlier, according to the regional "
                "hydrometeorological center.",
            ),
            (
                "paragraph",
                "Between 71 and 84 millimeters of rain fell across the upper part of the river "
                "basin in two days, about as much as usually falls there in six weeks. The ground "
                "was already wet, so much of the water ran straight into the river. Air "
                "temperatures stayed between 8°C and 11°C.",
            ),
            ("heading", {"text": "What happens next", "level": "h2"}),
            (
                "paragraph",
                "The center said the river could reach 5.1 to 5.3 meters by tomorrow evening. At "
                "5.5 meters, water starts to cover the embankment road and the lower ends of "
                "Rybalska and Zatonna streets, as it last did in April 2016.",
            ),
            (
                "paragraph",
                "City officials asked residents of 11 streets in the Left Bank district, home to "
                "about 2,300 people, to pack documents, medicines, chargers and three days of "
                "food. Two temporary shelters have opened, at School No. 17 and at the Sports "
                "Palace on Myru Avenue, with 350 beds between them.",
            ),
            (
                "paragraph",
                "Rescuers asked people to keep children and pets away from the water's edge and "
                "not to drive through flooded underpasses. The emergency number is 101.",
            ),
            (
                "paragraph",
                "Update, 1:30 p.m.: The regional administration said the expected peak had been "
                "revised down to 5.0 meters, or about 0.5 meters below the embankment road, after "
                "rain eased in the upper basin. The advice to prepare to leave still stands.",
            ),
        ],
    },
    {
        "slug": "school-shelters-survey",
        "headline": "Two in three Zelenobrid schools can now teach fully in person, survey finds",
        "standfirst": (
            "Education officials say 41 of 62 schools have shelters large enough for all their "
            "pupils, up from 23 a year ago. The rest keep mixed or online timetables."
        ),
        "authors": ["daryna-oliinyk"],
        "topics": ["education", "security"],
        "published": {"days_ago": 6, "time": "13:15"},
        "hero": {
            "title": "School building in Zelenobrid (demo illustration)",
            "scene": "skyline",
            "seed": 606,
            "palette": "bright",
            "alt": (
                "Illustration: rows of pale buildings with many small windows under a bright "
                "yellow and blue sky."
            ),
            "caption": "Most new school shelters were built in existing basements.",
        },
        "body": [
            (
                "paragraph",
                "Forty-one of Zelenobrid's 62 public schools, or 66.1%, now have shelters big "
                "enough to hold every pupil and teacher at once, according to a survey published "
                "today by the city's education department. A year ago, the figure was 23 "
                "schools, or 37.1%.",
            ),
            (
                "paragraph",
                "The survey covered 34,870 pupils. Of those, 24,310 study fully in person, 7,950 "
                "follow a mixed timetable with some lessons online, and 2,610 study only online.",
            ),
            (
                "paragraph",
                "Shelters must have ventilation, two exits, toilets, drinking water and a "
                "temperature of at least 18°C during lessons, the department said. Inspectors "
                "found that 9 of the 41 shelters struggled to stay above 16°C on cold mornings; "
                "they will receive heaters before the heating season.",
            ),
            (
                "paragraph",
                "Building or refitting 18 new shelters cost ₴286.4 million. Of that, ₴171 "
                "million came from the state budget, ₴74.2 million from the city and the rest, "
                "about €850,000, from donors.",
            ),
            (
                "paragraph",
                "School No. 3 and Lyceum No. 21 are the most crowded, with more than 1,100 pupils "
                "each. Both now teach in two shifts, the 1st from 8 a.m. and the 2nd from 1:30 "
                "p.m., so that each shift fits in the shelter.",
            ),
            (
                "paragraph",
                "The 21 schools without adequate shelters are mostly in older buildings in the "
                "city center, where basements are shallow. The department said 7 more shelters "
                "should be ready by the start of the next school year on Sept. 1.",
            ),
            (
                "paragraph",
                "The department publishes the status of each school on its website and updates "
                "it monthly. Parents can check which timetable applies to their child's class "
                "there or through the school's office.",
            ),
        ],
    },
    {
        "slug": "yasenohrad-farmland-cleared",
        "headline": "Farmers return to 1,240 hectares cleared of explosives near Yasenohrad",
        "standfirst": (
            "Deminers found and destroyed 316 explosive items over seven months. About 9.2% of "
            "the district's farmland is still closed."
        ),
        "authors": ["roman-tereshko"],
        "topics": ["environment", "security"],
        "published": {"days_ago": 8, "time": "10:00"},
        "hero": {
            "title": "Fields near Yasenohrad (demo illustration)",
            "scene": "fields",
            "seed": 707,
            "palette": "clear",
            "alt": (
                "Illustration: striped green and golden fields stretching to the horizon, with "
                "a row of round trees."
            ),
            "caption": "Cleared fields in the Yasenohrad district have been returned to farmers.",
        },
        "body": [
            (
                "paragraph",
                "Demining teams have handed 1,240 hectares of farmland in the Yasenohrad "
                "district back to their owners after seven months of survey and clearance work, "
                "the regional military administration said today. That is about 12.4 sq km, an "
                "area roughly the size of 1,700 soccer fields.",
            ),
            (
                "paragraph",
                "The teams found and destroyed 316 explosive items, including 41 anti-tank mines, "
                "9 cluster submunitions and 266 artillery shells of Soviet-era and NATO calibers. "
                "Most were found within 2 km of a road that ran close to the front line in 2022.",
            ),
            (
                "paragraph",
                "The work was carried out by the State Emergency Service and a Ukrainian "
                "humanitarian demining group, following the International Mine Action Standards "
                "(IMAS) developed under the UN. It cost about $1.6 million, or roughly $1,290 a "
                "hectare.",
            ),
            (
                "paragraph",
                "Petro Kuzmenko, who farms 430 hectares of wheat and sunflowers near the village "
                "of Berezovyi Hai, said he had not worked his northern fields for three seasons. "
                '"I walked the edge of them every year and looked," he said. "Now the machines '
                'can go in."',
            ),
            (
                "paragraph",
                "About 9.2% of the district's 58,000 hectares of farmland, or about 5,340 "
                "hectares, remains closed. The administration expects to clear a further 1,500 "
                "hectares within 12 months if the 4th and 5th demining teams start work as "
                "planned.",
            ),
            (
                "paragraph",
                "Since Feb. 24, 2022, 14 people in the oblast have been injured by explosives "
                "while working in fields, 5 of them fatally, according to the administration.",
            ),
            (
                "paragraph",
                "Anyone who finds a suspicious object should not touch it, should keep at least "
                "100 meters away and should call 101.",
            ),
        ],
    },
    {
        "slug": "central-library-reopens",
        "headline": "Zelenobrid's central library reopens with a basement reading room",
        "standfirst": (
            "After 19 months of repairs costing ₴23.7 million, the library is open until 8 p.m. "
            "and its children's section now sits in a room that doubles as a shelter."
        ),
        "authors": ["solomiia-verbenko"],
        "topics": ["education", "zelenobrid"],
        "published": {"hours_ago": 2},
        "hero": {
            "title": "Central City Library at dusk (demo illustration)",
            "scene": "skyline",
            "seed": 808,
            "palette": "dusk",
            "alt": (
                "Illustration: a row of warm-colored buildings with lit windows under a pink "
                "and violet dusk sky."
            ),
            "caption": (
                "The library building dates from the 1950s and lost most of its windows in 2023."
            ),
        },
        "body": [
            (
                "paragraph",
                "The Central City Library on Lypova Avenue has reopened to readers after 19 "
                "months of repairs, with a reading room in the basement that doubles as a shelter "
                "for up to 180 people.",
            ),
            (
                "paragraph",
                "The 1950s building lost most of its windows and part of its roof in the fall of "
                "2023. Repairs cost ₴23.7 million: ₴15.2 million came from the city, ₴6.1 "
                "million from a state fund for cultural heritage and ₴2.4 million, or about "
                "$58,000, from residents and businesses who gave to the library's fundraiser.",
            ),
            (
                "paragraph",
                "The library holds about 212,000 books, journals and recordings, including "
                "12,400 books donated since 2022. Its children's section, with 9,800 titles, has "
                "moved to the basement so that lessons and readings can continue during alerts.",
            ),
            (
                "paragraph",
                "Opening hours are now 9 a.m. to 8 p.m. on weekdays and 10 a.m. to 5 p.m. on "
                "Saturdays, two hours a day longer than before the repairs. The library has 24 "
                "public computers, free Wi-Fi and a 3D printer that visitors can book for up to "
                "90 minutes at a time.",
            ),
            (
                "paragraph",
                "Director Liudmyla Horbenko said 1,870 people had registered for library cards "
                'online before the doors opened, 38% of them under 18. "People kept asking '
                'when they could come back," she said. "Most of them wanted somewhere warm and '
                'quiet to read, and that is what we are."',
            ),
            (
                "paragraph",
                "The first event, a reading for 3rd and 4th graders, begins at 11:30 AM "
                "tomorrow. Entry is free, and the library asks groups of more than 10 to call "
                "ahead.",
            ),
        ],
    },
]
