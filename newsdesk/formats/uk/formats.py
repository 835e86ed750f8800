# How dates read on Ukrainian pages: "27 січня 2024 р., 15:34" (genitive month, 24-hour clock).
DATE_FORMAT = "j E Y р."
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y р., H:i"
SHORT_DATE_FORMAT = "d.m.Y"
