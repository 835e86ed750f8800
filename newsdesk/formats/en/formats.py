# How dates read on English pages: "January 27, 2024 3:34 PM".
DATE_FORMAT = "F j, Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "F j, Y g:i A"
SHORT_DATE_FORMAT = "M j, Y"
