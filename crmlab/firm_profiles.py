"""Firm profiles (企业画像) for the case studies: named archetypes over the generator's levers.

A generated firm is the model of :mod:`crmlab._generate` with a few
behavioural levers (:class:`crmlab._generate.Levers`): churn level,
satisfaction (overall and per service attribute), complaint rate and
complaint-handling quality, the acquisition channel mix and cost per channel,
price level, concentration of customer value and growth; for B2B also the
capacity of each department, cost to serve and share of wallet. Every lever at
its default gives the shipped data, byte for byte.

An *archetype* is a named set of lever values that makes a recognisable firm,
so a class can compare firms whose diagnoses differ, not just their numbers.
A case study takes ``archetype`` (a name below, or ``None`` for the shipped
firm) and ``profile`` (lever values that override the archetype's).

The stories follow the textbook situations: a discounter that buys volume
and loses customers (retention before acquisition, Reichheld & Sasser 1990), a
premium firm whose loyal customers recommend it (Reichheld 2003), a firm in a
complaint crisis (service recovery, Tax, Brown & Chandrashekaran 1998), a
fast grower that buys customers expensively (acquisition equity, Blattberg &
Deighton 1996); for B2B an overloaded order desk and a few whales carrying the
profit (time-driven ABC and the whale curve, Kaplan & Anderson 2004, Kaplan &
Narayanan 2001), and demanding accounts that cost more to serve than they earn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from crmlab._validate import CRMDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Archetype", "ARCHETYPES", "LEVERS", "profile_levers", "archetype_table"]

#: The levers a profile may set, what each does and its default (the shipped firm).
LEVERS: dict[str, tuple[str, Any, str]] = {
    "churn": ("both", 0.0, "added to each customer's churn propensity (logit); +1 roughly doubles early exits"),
    "satisfaction": ("both", 0.0, "shift of latent satisfaction in standard deviations: surveys, complaints, churn"),
    "attribute_gaps": ("retail", {}, "{service attribute: shift of its mean perception gap, 1-7 points}"),
    "complaint_rate": ("both", 0.0, "added to the logit of the chance that a customer complains"),
    "complaint_handling": ("both", 0.0, "complaint-handling quality: faster, more often resolved, happier after"),
    "complaint_impact": ("both", 1.6, "churn propensity added by an unrecovered complaint"),
    "channel_mix": ("both", {}, "{acquisition channel: share of new customers}"),
    "channel_cost": ("both", {}, "{acquisition channel: factor on its acquisition cost}"),
    "price_level": ("both", 1.0, "factor on order values (b2b: and on wallets)"),
    "concentration": ("both", 1.0, "spread of customer value (spend, purchase rates, wallets) times this"),
    "growth": ("both", 1.0, "late sign-ups relative to early ones; above 1 the firm is growing"),
    "capacity": ("b2b", {}, "{department: average use of practical capacity}; above 1 overloaded"),
    "cost_to_serve": ("b2b", 1.0, "factor on sales visits, service calls and rush orders"),
    "share_of_wallet": ("b2b", 0.0, "added to each segment's mean share of wallet"),
    "segment_mix": ("both", {}, "{needs segment: share of customers}"),
}


@dataclass(frozen=True)
class Archetype:
    """A named firm: a title, the story a class reads, and the lever values."""

    title: str
    story: str
    levers: Mapping[str, Any] = field(default_factory=dict)


#: Archetypes per scenario; ``None`` (not listed) is the shipped firm.
ARCHETYPES: dict[str, dict[str, Archetype]] = {
    "retail": {
        "discounter": Archetype(
            "A discounter losing customers",
            "Low prices and broad appeal win many customers; service is thin, complaints are handled "
            "badly (customers shrug: they were leaving anyway) and search ads bring bargain hunters "
            "who never come back.",
            {
                "price_level": 0.55,
                "churn": 1.0,
                "satisfaction": -0.1,
                "concentration": 0.6,
                "complaint_handling": -0.6,
                "complaint_rate": 0.4,
                "complaint_impact": 0.3,
                "channel_cost": {"search": 2.5},
            },
        ),
        "premium": Archetype(
            "A premium store with loyal customers",
            "High prices, excellent service and loyal customers who recommend the store; a few "
            "big spenders bring much of the revenue.",
            {
                "price_level": 2.2,
                "churn": -1.3,
                "satisfaction": 0.9,
                "concentration": 1.35,
                "complaint_handling": 1.2,
                "attribute_gaps": {"on-time delivery": 1.6, "quick answers": 1.3, "easy returns": 1.2},
            },
        ),
        "complaint_crisis": Archetype(
            "A firm in a complaint crisis",
            "Products do not match their description and staff are curt; complaints pile up, few are "
            "recovered, and those customers leave.",
            {
                "satisfaction": -1.1,
                "complaint_rate": 1.3,
                "complaint_handling": -1.2,
                "complaint_impact": 2.4,
                "churn": -0.9,
                "attribute_gaps": {
                    "products as described": -1.6,
                    "staff friendliness": -1.8,
                    "on-time delivery": 1.2,
                    "quick answers": 0.8,
                },
            },
        ),
        "fast_grower": Archetype(
            "A fast-growing firm buying customers expensively",
            "Sign-ups grow month after month, bought through search and social ads whose cost is "
            "rising; customers are content and stay, but social ads no longer pay back.",
            {
                "growth": 6.0,
                "channel_mix": {"search": 0.45, "social": 0.40, "referral": 0.05, "store": 0.05, "email_list": 0.05},
                "channel_cost": {"search": 2.5, "social": 4.5},
                "churn": -0.6,
                "satisfaction": 0.3,
                "complaint_handling": 0.5,
                "complaint_impact": 0.4,
                "concentration": 0.5,
                "price_level": 0.8,
            },
        ),
        "gift_shop": Archetype(
            "A gift shop of one-off buyers",
            "Customers come through search and social ads for a present, spend well once and seldom "
            "return; each first purchase pays for the advertising, but the customer base is worth "
            "less than it costs to win.",
            {
                "growth": 6.0,
                "channel_mix": {"search": 0.45, "social": 0.40, "referral": 0.05, "store": 0.05, "email_list": 0.05},
                "channel_cost": {"search": 2.0, "social": 3.0},
                "churn": 2.5,
                "satisfaction": 0.3,
                "complaint_handling": 0.5,
                "complaint_impact": 0.4,
                "concentration": 0.6,
                "price_level": 2.5,
            },
        ),
        "neighbourhood": Archetype(
            "A neighbourhood shop with steady regulars",
            "Few new customers, most of them from referrals and the store itself; regulars come back, "
            "buy much the same basket and are content, and a complaint is settled over the counter.",
            {
                "churn": -0.9,
                "growth": 0.5,
                "concentration": 0.1,
                "satisfaction": 0.3,
                "complaint_handling": 0.8,
                "channel_mix": {"search": 0.05, "social": 0.05, "referral": 0.4, "store": 0.45, "email_list": 0.05},
            },
        ),
    },
    "b2b": {
        "overloaded_desk": Archetype(
            "A distributor with an overloaded order desk",
            "Rush orders and small orders swamp the order desk and warehouse, which works far beyond "
            "its capacity while field sales sits partly idle; complaints go unanswered and accounts leave.",
            {
                "capacity": {"order desk and warehouse": 1.15, "field sales": 0.6},
                "churn": 0.4,
                "complaint_rate": 0.6,
                "complaint_handling": -0.8,
                "complaint_impact": 2.2,
            },
        ),
        "whales": Archetype(
            "A few whales carry the profit",
            "Large relationship partners buy most of their needs from us and earn almost all the "
            "profit; few accounts lose money, and the busy departments run at their limit.",
            {
                "segment_mix": {
                    "price buyers": 0.05,
                    "service seekers": 0.05,
                    "relationship partners": 0.8,
                    "self-service buyers": 0.1,
                },
                "share_of_wallet": 0.35,
                "churn": -1.0,
                "complaint_handling": 1.0,
                "concentration": 2.0,
            },
        ),
        "service_heavy": Archetype(
            "Demanding accounts that cost more than they earn",
            "Accounts expect visits, calls and rush deliveries; the cost to serve eats the margin of "
            "half of them, the best accounts pay for the rest, we win only a small share of their "
            "spend, and the departments were staffed for more work than comes in.",
            {
                "cost_to_serve": 1.3,
                "share_of_wallet": -0.1,
                "churn": 0.3,
                "price_level": 1.3,
                "capacity": {"field sales": 0.5, "customer service": 0.5, "order desk and warehouse": 0.5},
            },
        ),
        "lean_partner": Archetype(
            "A lean distributor with loyal partners",
            "Accounts order on the web portal, stay for years and buy a good share of their category "
            "from us; capacity is sized to the work.",
            {
                "cost_to_serve": 0.35,
                "share_of_wallet": 0.15,
                "churn": -1.8,
                "complaint_handling": 1.0,
                "concentration": 0.6,
                "capacity": {"field sales": 0.73, "customer service": 0.70, "order desk and warehouse": 0.63},
            },
        ),
    },
}


def profile_levers(
    scenario: str, archetype: str | None = None, profile: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The lever values of a firm: the archetype's, with ``profile`` overriding them.

    Raises :class:`~crmlab.case_parameters.CaseStudyParameterError` naming the
    parameter (``archetype`` or ``profile``) and the fix.

    Examples
    --------
    >>> profile_levers("retail", "discounter", {"churn": 0.0})["churn"]
    0.0
    >>> profile_levers("retail")
    {}
    """
    from crmlab.case_parameters import CaseStudyParameterError

    if scenario not in ARCHETYPES:
        raise CRMDataError(f"scenario {scenario!r} has no firm profiles; use {', '.join(ARCHETYPES)}.")
    known = ARCHETYPES[scenario]
    if archetype is not None and archetype not in known:
        raise CaseStudyParameterError(
            f"parameter 'archetype' = {archetype!r} is not a {scenario} archetype: use one of "
            f"{', '.join(known)}, or None for the shipped firm."
        )
    levers = dict(known[archetype].levers) if archetype else {}
    for key, value in dict(profile or {}).items():
        if key not in LEVERS or LEVERS[key][0] not in ("both", scenario):
            usable = [k for k, v in LEVERS.items() if v[0] in ("both", scenario)]
            raise CaseStudyParameterError(
                f"parameter 'profile' has the lever {key!r}, which a {scenario} firm does not have: "
                f"use {', '.join(usable)}."
            )
        default = LEVERS[key][1]
        if isinstance(default, dict) != isinstance(value, Mapping):
            kind = "a mapping such as {'search': 2.0}" if isinstance(default, dict) else "a number"
            raise CaseStudyParameterError(f"parameter 'profile', lever {key!r} = {value!r}: give {kind}.")
        levers[key] = dict(value) if isinstance(value, Mapping) else float(value)
    return levers


def archetype_table(scenario: str) -> "pd.DataFrame":
    """The archetypes of a scenario with their title and lever values, one row each.

    Examples
    --------
    >>> archetype_table("b2b").index.tolist()
    ['overloaded_desk', 'whales', 'service_heavy', 'lean_partner']
    """
    import pandas as pd

    rows = {
        name: {"title": a.title, **{k: a.levers.get(k, "") for k in LEVERS if LEVERS[k][0] in ("both", scenario)}}
        for name, a in ARCHETYPES[scenario].items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")
