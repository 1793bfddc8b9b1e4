"""Texts of two problems no taxonomy knows, and of unrelated one-offs, for the candidate
tests: each problem's texts share their words, the one-offs share none."""

CRASH = [
    "the app crashes when I open my statement",
    "app crashes every time I open the statement page",
    "opening my statement in the app makes it crash",
    "statement page crashes the app on my phone",
    "the app crashed again when I opened the statement",
    "my app keeps crashing on the statement screen",
]
PARCEL = [
    "the parcel tracking number shows the wrong address",
    "tracking my parcel shows an address that is not mine",
    "wrong delivery address on the parcel tracking page",
    "parcel tracking says it goes to the wrong address",
    "my parcel tracking shows someone else's address",
    "tracking number for my parcel has the wrong address on it",
]
ONE_OFFS = [
    "can I change the colour of my dashboard theme",
    "do you sponsor the local football club",
    "what time does the office open on holidays",
]
