"""The program's mentee eligibility rules, one pure function per criterion.

Each rule reads the applicant's answers and the cycle's parameters and says
``pass``, ``fail`` (the application cannot go ahead) or ``review`` (staff must
judge, as for the statement and the CV), with a reason a person can read. The
same functions serve the public quick check and the real application.
"""

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from django_countries import countries

PASS, FAIL, REVIEW = "pass", "fail", "review"

MEMBERSHIP_LABELS = {
    "in_training": "Member in Training",
    "full": "Full Member",
    "full_discounted": "Full Member paying discounted or international dues",
    "non_member": "not yet a member",
}


@dataclass(frozen=True)
class Rules:
    max_years_since_training: int
    excluded_practice_countries: frozenset[str]
    accepted_membership_types: frozenset[str]
    accepts_concurrent_membership_application: bool
    min_monthly_hours: int


@dataclass(frozen=True)
class Answers:
    membership_type: str = ""
    membership_application_submitted: bool = False
    still_in_training: bool = False
    training_completed_year: int | None = None
    practice_country: str = ""
    english_writing: str = ""
    english_speaking: str = ""
    monthly_hours: int | None = None
    prior_idea_award: bool | None = None
    statement: str = ""
    has_cv: bool = False


@dataclass(frozen=True)
class Result:
    criterion: str
    label: str
    outcome: str
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def _verdict(criterion: str, label: str) -> Callable[[str, str], Result]:
    """What a rule returns: its outcome and reason, under its name and label."""

    def verdict(outcome: str, reason: str) -> Result:
        return Result(criterion, label, outcome, reason)

    return verdict


def membership(answers: Answers, rules: Rules, year: int) -> Result:
    verdict = _verdict("membership", "Membership")
    kind = answers.membership_type
    if kind in rules.accepted_membership_types:
        return verdict(PASS, f"You are a {MEMBERSHIP_LABELS[kind]}.")
    if kind == "non_member":
        if not rules.accepts_concurrent_membership_application:
            return verdict(
                FAIL,
                "This cycle is open to members only; join the society first.",
            )
        if answers.membership_application_submitted:
            return verdict(
                PASS,
                "You are sending a membership application with this application.",
            )
        return verdict(
            FAIL,
            "Applicants who are not members must send a membership application "
            "together with this application.",
        )
    accepted = ", ".join(
        MEMBERSHIP_LABELS[k] for k in sorted(rules.accepted_membership_types)
    )
    return verdict(
        FAIL,
        f"Your membership type is not eligible this cycle; eligible: {accepted}.",
    )


def years_since_training(answers: Answers, rules: Rules, year: int) -> Result:
    verdict = _verdict("years_since_training", "Years since training")
    limit = rules.max_years_since_training
    if answers.still_in_training:
        return verdict(PASS, "You are still in training.")
    completed = answers.training_completed_year
    if completed is None:
        return verdict(
            FAIL,
            "Tell us the year you completed your oncology training.",
        )
    years = year - completed
    if years < limit:
        return verdict(
            PASS,
            f"You completed training in {completed}, {years} year(s) ago; "
            f"the limit is fewer than {limit}.",
        )
    return verdict(
        FAIL,
        f"You completed training in {completed}, {years} years ago; the program "
        f"is for doctors fewer than {limit} years past their oncology training.",
    )


def country_of_practice(answers: Answers, rules: Rules, year: int) -> Result:
    verdict = _verdict("country_of_practice", "Country of practice")
    code = answers.practice_country
    if not code:
        return verdict(
            FAIL,
            "Tell us the country where you practise or train now.",
        )
    name = countries.name(code) or code
    if code in rules.excluded_practice_countries:
        return verdict(
            FAIL,
            f"The program is for doctors training or practising outside {name}.",
        )
    return verdict(PASS, f"You practise or train in {name}.")


def english(answers: Answers, rules: Rules, year: int) -> Result:
    verdict = _verdict("english", "English")
    weak = [
        skill
        for skill, level in (
            ("writing", answers.english_writing),
            ("speaking", answers.english_speaking),
        )
        if level != "fluent"
    ]
    if not weak:
        return verdict(PASS, "You are fluent in written and spoken English.")
    return verdict(
        FAIL,
        "The program needs fluent English in both writing and speaking; "
        f"you are not yet fluent in {' and '.join(weak)}.",
    )


def monthly_commitment(answers: Answers, rules: Rules, year: int) -> Result:
    verdict = _verdict("monthly_commitment", "Monthly time")
    hours = answers.monthly_hours or 0
    needed = rules.min_monthly_hours
    if hours >= needed:
        return verdict(
            PASS,
            f"You can give {hours} hour(s) a month; at least {needed} are needed.",
        )
    return verdict(
        FAIL,
        f"Mentoring needs at least {needed} hour(s) every month; you offered {hours}.",
    )


def prior_idea_award(answers: Answers, rules: Rules, year: int) -> Result:
    verdict = _verdict("prior_idea_award", "Past IDEA or IDEA-PC award")
    if answers.prior_idea_award is None:
        return verdict(
            FAIL,
            "Tell us whether you have received an IDEA or IDEA-PC award.",
        )
    if answers.prior_idea_award:
        return verdict(
            FAIL,
            "With a limited number of mentors, the program cannot accept past "
            "IDEA or IDEA-PC recipients at this time.",
        )
    return verdict(
        PASS,
        "You have not received an IDEA or IDEA-PC award.",
    )


def interest_statement(answers: Answers, rules: Rules, year: int) -> Result:
    verdict = _verdict("interest_statement", "Interest in being mentored")
    if not answers.statement.strip():
        return verdict(
            FAIL,
            "Tell us in a statement why you want a mentor.",
        )
    return verdict(
        REVIEW,
        "Staff read your statement for a demonstrated interest in being mentored.",
    )


def cv_present(answers: Answers, rules: Rules, year: int) -> Result:
    verdict = _verdict("cv", "CV")
    if not answers.has_cv:
        return verdict(FAIL, "Upload your CV (PDF or Word).")
    return verdict(
        REVIEW,
        "Staff read your CV for an aptitude for professional development.",
    )


Rule = Callable[[Answers, Rules, int], Result]

# What anyone can check in two minutes, without an account.
QUICK_CHECK: Sequence[Rule] = (
    membership,
    years_since_training,
    country_of_practice,
    english,
    monthly_commitment,
    prior_idea_award,
)
# What a submitted application is held to.
ALL_CRITERIA: Sequence[Rule] = (*QUICK_CHECK, interest_statement, cv_present)


def evaluate(
    answers: Answers, rules: Rules, year: int, criteria: Sequence[Rule] = ALL_CRITERIA
) -> list[Result]:
    return [rule(answers, rules, year) for rule in criteria]


def failures(results: Sequence[Result]) -> list[Result]:
    return [result for result in results if result.outcome == FAIL]


OUTCOME_LABELS = {PASS: "Passes", FAIL: "Fails", REVIEW: "Needs review"}


def with_overrides(results: Sequence[dict], overrides: dict[str, str]) -> list[dict]:
    """The stored results with staff's outcome in place of the rule's where
    staff overrode a criterion; the rule's own outcome stays as
    ``rule_outcome``."""
    merged = []
    for result in results:
        outcome = overrides.get(result["criterion"], result["outcome"])
        merged.append(
            {
                **result,
                "outcome": outcome,
                "rule_outcome": result["outcome"],
                "overridden": result["criterion"] in overrides,
            }
        )
    return merged


def summarize(results: Sequence[dict]) -> str:
    """One outcome for a whole application: it fails if any criterion fails,
    needs review while any criterion awaits staff, and passes otherwise.
    Empty when nothing was evaluated (a draft)."""
    outcomes = {result["outcome"] for result in results}
    if not outcomes:
        return ""
    if FAIL in outcomes:
        return FAIL
    if REVIEW in outcomes:
        return REVIEW
    return PASS
