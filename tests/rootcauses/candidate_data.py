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


def make_candidate(cases, *, terms=("statement", "crash"), state="open"):
    """An open candidate over `cases`, as a refresh would store it (no clustering run)."""
    from apps.rootcauses.models import RootCauseCandidate, RootCauseCandidateCase

    candidate = RootCauseCandidate.objects.create(
        state=state,
        top_terms=list(terms),
        sample_subjects=[c.subject for c in cases[:5]],
        size=len(cases),
        cohesion=0.8,
    )
    RootCauseCandidateCase.objects.bulk_create(
        RootCauseCandidateCase(candidate=candidate, case=c, similarity=0.9) for c in cases
    )
    return candidate
