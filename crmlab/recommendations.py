"""Recommendations (管理建议) of a CRM diagnosis: documented rules over the recorded figures.

Which advice is given depends on the data (a retailer that loses few customers
is not told to start a win-back campaign), and the rule that fired is named
with each piece of advice. Thresholds are written down in :class:`RetailRules`
and :class:`B2BRules`; they are teaching defaults, not industry norms, and a
trainer can pass others. Sources for the measures: Reichheld (2003) for NPS,
Martilla & James (1977) for importance-performance, Kaplan & Anderson (2004)
and Kaplan & Narayanan (2001) for time-driven ABC and the whale curve,
Keiningham et al. (2011) for share of wallet, Tax, Brown & Chandrashekaran
(1998) for complaint handling.

A figure a firm's data cannot give (no surveys, no acquisition costs, ...) is
``None`` or absent: its area is left out of the advice with a note saying
which table would be needed (:func:`missing_areas`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from crmlab._validate import CRMDataError
from crmlab.currency import format_money

__all__ = [
    "RetailRules",
    "B2BRules",
    "retail_recommendations",
    "b2b_recommendations",
    "AREAS",
    "missing_areas",
    "rule_tags",
    "rule_tag",
]


@dataclass(frozen=True)
class RetailRules:
    """Thresholds of :func:`retail_recommendations` (teaching defaults; state the ones you use).

    high_churn, low_churn : yearly churn at or above which retention comes first,
        and at or below which retention is called strong.
    concentrated, spread : top-20% revenue share at or above which revenue
        rests on few customers (Pareto), and at or below which it is spread widely.
    weak_nps, strong_nps : NPS (points) below which detractors dominate, and at
        or above which a referral programme pays (Reichheld 2003).
    weak_recovery : share of complaints recovered below which complaint handling
        needs work; with ``costly_complaints`` (churn of unrecovered complainers
        in multiples of non-complainers) at or above which it is urgent.
    """

    high_churn: float = 0.35
    low_churn: float = 0.20
    concentrated: float = 0.60
    spread: float = 0.45
    weak_nps: float = 0.0
    strong_nps: float = 30.0
    weak_recovery: float = 0.60
    costly_complaints: float = 1.5


@dataclass(frozen=True)
class B2BRules:
    """Thresholds of :func:`b2b_recommendations` (teaching defaults; state the ones you use).

    steep_whale : whale-curve peak (share of total profit) at or above which
        profit rests on few accounts while the loss makers destroy a third or more of
        it; checked first, as the more severe state.
    many_loss_makers : share of accounts with a loss at or above which cost to
        serve is the first topic (Kaplan & Narayanan 2001 report 20-40% typical).
    low_share : mean share of wallet below which growing share is the main
        opportunity, ``high_share`` at or above which defending it is.
    idle_capacity : unused capacity cost as a share of cost to serve at or above
        which capacity should be redeployed or cut.
    high_churn : yearly account churn at or above which retention is urgent.
    weak_recovery, costly_complaints : as in :class:`RetailRules`.
    """

    many_loss_makers: float = 0.25
    steep_whale: float = 1.5
    low_share: float = 0.30
    high_share: float = 0.50
    idle_capacity: float = 0.10
    high_churn: float = 0.25
    weak_recovery: float = 0.60
    costly_complaints: float = 1.5


@dataclass(order=True)
class _Advice:
    """One recommendation: urgent ones first (priority 0), then by area order."""

    priority: int
    position: int
    text: str = field(compare=False)


def _need(figures: Mapping[str, Any], names: Sequence[str], case: str) -> None:
    missing = [n for n in names if n not in figures]
    if missing:
        raise CRMDataError(
            f"figures for {case} recommendations lack {', '.join(map(repr, missing))}: "
            "record them first (FigureBook.record) and pass book.figures."
        )


def _count(n: int, noun: str) -> str:
    """'1 account', '3 accounts'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _listing(text: str | None) -> str:
    """'a; b; c' as 'a, b and c'."""
    items = [t.strip() for t in (text or "").split(";") if t.strip()]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _complaint_state(f: Mapping[str, Any], rules: Any) -> tuple[str, float, str]:
    """'urgent' (weak recovery and costly), 'weak' or 'ok'; the recovery share and the churn ratio as text."""
    recovery, ratio = f["complaint_recovery"], f["unrecovered_churn_ratio"]
    ratio_text = "n/a" if ratio is None else f"{ratio:.1f}x"
    if recovery >= rules.weak_recovery:
        return "ok", recovery, ratio_text
    costly = ratio is not None and ratio >= rules.costly_complaints
    return ("urgent" if costly else "weak"), recovery, ratio_text


def _known(f: Mapping[str, Any], names: Sequence[str]) -> bool:
    """True when every figure is known; a figure the data cannot give is ``None`` (its area is left out)."""
    return all(f.get(n) is not None for n in names)


def _ordered(advice: list[_Advice]) -> list[str]:
    return [a.text for a in sorted(advice)]


def retail_recommendations(
    figures: Mapping[str, Any], *, currency: str = "EUR", rules: RetailRules | None = None
) -> list[str]:
    """Recommendations for a retailer, chosen by rules over its figures.

    One recommendation per area -- retention, customer value, satisfaction,
    complaints, acquisition -- whose content depends on which side of the
    :class:`RetailRules` thresholds the figures fall; urgent ones come first.
    Each starts with the area and the rule that fired in brackets.

    Parameters
    ----------
    figures : the recorded figures (``FigureBook.figures``) with at least
        churn_rate, at_risk_count, value_at_risk, lapsed_count, top20_share,
        champions, nps, concentrate_here, complaint_recovery,
        unrecovered_churn_ratio, best_channel, best_channel_equity,
        worst_channel, worst_channel_equity, acquisition_cost, mean_clv.

    Examples
    --------
    >>> f = dict(churn_rate=0.42, at_risk_count=198, value_at_risk=33500.0, lapsed_count=1750,
    ...          top20_share=0.63, champions=419, nps=27.8, concentrate_here="on-time delivery",
    ...          complaint_recovery=0.54, unrecovered_churn_ratio=1.8, best_channel="referral",
    ...          best_channel_equity=155.0, worst_channel="social", worst_channel_equity=66.0,
    ...          acquisition_cost=22.3, mean_clv=160.0)
    >>> [r.split("]")[0] + "]" for r in retail_recommendations(f)]  # doctest: +NORMALIZE_WHITESPACE
    ['Retention [churn >= 35%]', 'Complaints [recovery < 60%, unrecovered churn >= 1.5x]',
     'Customer value [top 20% >= 60%]', 'Satisfaction [0 <= NPS < 30]', 'Acquisition [all channels pay back]']
    """
    rules = rules or RetailRules()
    _need(
        figures,
        [
            "churn_rate",
            "at_risk_count",
            "value_at_risk",
            "lapsed_count",
            "top20_share",
            "champions",
            "nps",
            "concentrate_here",
            "complaint_recovery",
            "unrecovered_churn_ratio",
            "best_channel",
            "best_channel_equity",
            "worst_channel",
            "worst_channel_equity",
            "acquisition_cost",
            "mean_clv",
        ],
        "retail",
    )
    f, cur = figures, currency
    advice: list[_Advice] = []

    if _known(f, ["churn_rate", "at_risk_count", "value_at_risk", "lapsed_count"]):
        churn = f["churn_rate"]
        call = (
            f"{f['at_risk_count']:,} customers are past their warning point (CLV {format_money(f['value_at_risk'], cur)}): "
            "contact them this month, highest value first"
        )
        if churn >= rules.high_churn:
            advice.append(
                _Advice(
                    0,
                    0,
                    f"Retention [churn >= {rules.high_churn:.0%}]: {churn:.0%} of last year's "
                    f"customers did not come back. Retention comes before acquisition: {call}, and "
                    f"send a win-back offer to the {f['lapsed_count']:,} lapsed customers.",
                )
            )
        elif churn <= rules.low_churn:
            advice.append(
                _Advice(
                    1,
                    0,
                    f"Retention [churn <= {rules.low_churn:.0%}]: churn is low ({churn:.0%}); "
                    f"keep the service as it is and check the warning list monthly ({call}).",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    0,
                    f"Retention [{rules.low_churn:.0%} < churn < {rules.high_churn:.0%}]: "
                    f"churn is {churn:.0%}; {call}.",
                )
            )

    if _known(f, ["top20_share", "champions"]):
        top = f["top20_share"]
        if top >= rules.concentrated:
            advice.append(
                _Advice(
                    1,
                    1,
                    f"Customer value [top 20% >= {rules.concentrated:.0%}]: the top 20% bring "
                    f"{top:.0%} of revenue. Protect them: a loyalty tier for the {f['champions']:,} "
                    "Champions with early access and a personal contact.",
                )
            )
        elif top <= rules.spread:
            advice.append(
                _Advice(
                    1,
                    1,
                    f"Customer value [top 20% <= {rules.spread:.0%}]: revenue is spread widely "
                    f"(top 20% bring {top:.0%}); grow the middle with cross-selling and bundles "
                    "rather than a VIP programme.",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    1,
                    f"Customer value [{rules.spread:.0%} < top 20% < {rules.concentrated:.0%}]: "
                    f"the top 20% bring {top:.0%} of revenue; move mid-value customers up with "
                    f"cross-selling and keep the {f['champions']:,} Champions close.",
                )
            )

    if _known(f, ["nps"]):
        score, fix = f["nps"], _listing(f["concentrate_here"]) or "no attribute (none is in 'concentrate here')"
        if score < rules.weak_nps:
            advice.append(
                _Advice(
                    0,
                    2,
                    f"Satisfaction [NPS < {rules.weak_nps:g}]: NPS is {score:+.0f}, more detractors "
                    f"than promoters. Fix {fix} before spending more on winning customers.",
                )
            )
        elif score >= rules.strong_nps:
            advice.append(
                _Advice(
                    1,
                    2,
                    f"Satisfaction [NPS >= {rules.strong_nps:g}]: NPS is {score:+.0f}; customers "
                    f"recommend you, so start a referral programme; keep an eye on {fix}.",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    2,
                    f"Satisfaction [{rules.weak_nps:g} <= NPS < {rules.strong_nps:g}]: NPS is "
                    f"{score:+.0f}. Concentrate on {fix}: important to customers and rated below "
                    "the others.",
                )
            )

    if _known(f, ["complaint_recovery"]):
        state, recovery, ratio_text = _complaint_state(f, rules)
        if state == "urgent":
            advice.append(
                _Advice(
                    0,
                    3,
                    f"Complaints [recovery < {rules.weak_recovery:.0%}, unrecovered churn >= "
                    f"{rules.costly_complaints:g}x]: only {recovery:.0%} of complaints end with a "
                    f"satisfied customer, and the others churn {ratio_text} as often as customers who "
                    "never complained. Resolve within 24 hours and let staff compensate on the spot.",
                )
            )
        elif state == "weak":
            advice.append(
                _Advice(
                    1,
                    3,
                    f"Complaints [recovery < {rules.weak_recovery:.0%}]: {recovery:.0%} of "
                    "complaints are recovered; train the service team on recovery, although "
                    f"unrecovered complainers churn only {ratio_text} as often as others.",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    3,
                    f"Complaints [recovery >= {rules.weak_recovery:.0%}]: {recovery:.0%} of "
                    "complaints are recovered; keep the process and ask recovered complainers for "
                    "a review.",
                )
            )

    if _known(
        f,
        [
            "best_channel",
            "best_channel_equity",
            "worst_channel",
            "worst_channel_equity",
            "acquisition_cost",
            "mean_clv",
        ],
    ):
        best, worst = f["best_channel"], f["worst_channel"]
        if f["worst_channel_equity"] < 0:
            advice.append(
                _Advice(
                    0,
                    4,
                    f"Acquisition [a channel loses money]: customers from {worst} do not pay back "
                    f"their acquisition cost in the first year (equity "
                    f"{format_money(f['worst_channel_equity'], cur)} each); cut it and move the budget "
                    f"to {best} ({format_money(f['best_channel_equity'], cur)} each).",
                )
            )
        elif f["mean_clv"] < f["acquisition_cost"]:
            advice.append(
                _Advice(
                    0,
                    4,
                    f"Acquisition [CLV < acquisition cost]: an average customer is worth "
                    f"{format_money(f['mean_clv'], cur)} but costs {format_money(f['acquisition_cost'], cur)} to "
                    f"win; stop paid acquisition outside {best} until retention improves.",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    4,
                    f"Acquisition [all channels pay back]: {best} brings the most first-year "
                    f"equity ({format_money(f['best_channel_equity'], cur)} per new customer), {worst} the "
                    f"least ({format_money(f['worst_channel_equity'], cur)}); shift budget towards {best}.",
                )
            )
    return _ordered(advice)


def b2b_recommendations(
    figures: Mapping[str, Any], *, currency: str = "EUR", rules: B2BRules | None = None
) -> list[str]:
    """Recommendations for a B2B distributor, chosen by rules over its figures.

    One recommendation per area -- profitability, capacity, share of wallet,
    relationships, complaints -- whose content depends on the
    :class:`B2BRules` thresholds; urgent ones come first, each naming the rule.

    Parameters
    ----------
    figures : the recorded figures with at least unprofitable_share,
        profit_destroyed, whale_peak, self_service_accounts, key_accounts,
        unused_capacity_cost, cost_to_serve, overloaded_departments,
        mean_share_of_wallet, wallet_not_won, churn_rate, accounts_in_decline,
        accounts_in_exploration, complaint_recovery, unrecovered_churn_ratio.

    Examples
    --------
    >>> f = dict(unprofitable_share=0.37, profit_destroyed=149000.0, whale_peak=1.2,
    ...          self_service_accounts=60, key_accounts=30, unused_capacity_cost=60000.0,
    ...          cost_to_serve=500000.0, overloaded_departments="order desk and warehouse",
    ...          mean_share_of_wallet=0.2, wallet_not_won=9e6, churn_rate=0.34, accounts_in_decline=2,
    ...          accounts_in_exploration=20, complaint_recovery=0.48, unrecovered_churn_ratio=2.2)
    >>> [r.split(" [")[0] for r in b2b_recommendations(f)]
    ['Profitability', 'Capacity', 'Relationships', 'Complaints', 'Share of wallet']
    """
    rules = rules or B2BRules()
    _need(
        figures,
        [
            "unprofitable_share",
            "profit_destroyed",
            "whale_peak",
            "self_service_accounts",
            "key_accounts",
            "unused_capacity_cost",
            "cost_to_serve",
            "overloaded_departments",
            "mean_share_of_wallet",
            "wallet_not_won",
            "churn_rate",
            "accounts_in_decline",
            "accounts_in_exploration",
            "complaint_recovery",
            "unrecovered_churn_ratio",
        ],
        "b2b",
    )
    f, cur = figures, currency
    advice: list[_Advice] = []

    if _known(f, ["unprofitable_share", "whale_peak", "profit_destroyed", "self_service_accounts", "key_accounts"]):
        loss, peak = f["unprofitable_share"], f["whale_peak"]
        if peak >= rules.steep_whale:
            advice.append(
                _Advice(
                    0,
                    0,
                    f"Profitability [whale peak >= {rules.steep_whale:.0%}]: the most profitable "
                    f"accounts earn {peak:.0%} of total profit and the {loss:.0%} that lose money "
                    f"destroy {format_money(f['profit_destroyed'], cur)} of it; protect the "
                    f"{f['key_accounts']:,} key accounts and change how the tail is served "
                    "(fewer visits, a minimum order) before it eats more.",
                )
            )
        elif loss >= rules.many_loss_makers:
            advice.append(
                _Advice(
                    0,
                    0,
                    f"Profitability [loss makers >= {rules.many_loss_makers:.0%}]: {loss:.0%} of "
                    f"accounts cost more to serve than they earn and destroy "
                    f"{format_money(f['profit_destroyed'], cur)}; move {f['self_service_accounts']:,} of them "
                    "to self-service and put a minimum order and a rush fee in place.",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    0,
                    f"Profitability [few loss makers]: {loss:.0%} of accounts lose money "
                    f"(whale peak {peak:.0%}); serve the {f['key_accounts']:,} key accounts with a "
                    "named manager and keep cost to serve in check.",
                )
            )

    if _known(f, ["unused_capacity_cost", "cost_to_serve", "overloaded_departments"]):
        idle = f["unused_capacity_cost"] / f["cost_to_serve"] if f["cost_to_serve"] else 0.0
        over = f["overloaded_departments"]
        if over:
            advice.append(
                _Advice(
                    0,
                    1,
                    f"Capacity [a department over capacity]: {over} "
                    f"{'work' if ',' in over else 'works'} beyond practical capacity; cut demand first (fewer rush orders, web ordering for small "
                    f"accounts) before hiring. Idle capacity elsewhere costs "
                    f"{format_money(f['unused_capacity_cost'], cur)}.",
                )
            )
        elif idle >= rules.idle_capacity:
            advice.append(
                _Advice(
                    1,
                    1,
                    f"Capacity [idle >= {rules.idle_capacity:.0%} of cost to serve]: unused "
                    f"capacity costs {format_money(f['unused_capacity_cost'], cur)} a year; use it for growth "
                    "accounts or reduce it.",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    1,
                    f"Capacity [balanced]: unused capacity costs "
                    f"{format_money(f['unused_capacity_cost'], cur)} ({idle:.0%} of cost to serve); no "
                    "department is overloaded.",
                )
            )

    if _known(f, ["mean_share_of_wallet", "wallet_not_won"]):
        share = f["mean_share_of_wallet"]
        if share < rules.low_share:
            advice.append(
                _Advice(
                    1,
                    2,
                    f"Share of wallet [mean < {rules.low_share:.0%}]: active accounts buy only "
                    f"{share:.0%} of their category spend from us; {format_money(f['wallet_not_won'], cur)} goes "
                    "to competitors. Give Growth accounts an account plan to win share.",
                )
            )
        elif share >= rules.high_share:
            advice.append(
                _Advice(
                    1,
                    2,
                    f"Share of wallet [mean >= {rules.high_share:.0%}]: accounts buy {share:.0%} "
                    "of their category spend from us; defend it with service and contracts rather "
                    "than discounts.",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    2,
                    f"Share of wallet [{rules.low_share:.0%} <= mean < {rules.high_share:.0%}]: "
                    f"mean share {share:.0%}; grow it with cross-selling in the Growth and Develop "
                    "accounts.",
                )
            )

    if _known(f, ["churn_rate", "accounts_in_decline", "accounts_in_exploration"]):
        churn, decline, new = f["churn_rate"], f["accounts_in_decline"], f["accounts_in_exploration"]
        watch = (
            f"call the {_count(decline, 'account')} in decline now"
            if decline
            else "no account is in decline at the moment"
        )
        onboard = f"give the {_count(new, 'account')} in exploration an onboarding contact"
        if churn >= rules.high_churn:
            advice.append(
                _Advice(
                    0,
                    3,
                    f"Relationships [churn >= {rules.high_churn:.0%}]: {churn:.0%} of last year's "
                    f"accounts stopped ordering; {watch}, and {onboard}.",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    3,
                    f"Relationships [churn < {rules.high_churn:.0%}]: account churn is {churn:.0%}; "
                    f"{watch}, and {onboard}.",
                )
            )

    if _known(f, ["complaint_recovery"]):
        state, recovery, ratio_text = _complaint_state(f, rules)
        if state == "urgent":
            advice.append(
                _Advice(
                    0,
                    4,
                    f"Complaints [recovery < {rules.weak_recovery:.0%}, unrecovered churn >= "
                    f"{rules.costly_complaints:g}x]: {recovery:.0%} of complaints are recovered and "
                    f"accounts left unsatisfied churn {ratio_text} as often; give each complaint an "
                    "owner and a 48-hour answer.",
                )
            )
        else:
            advice.append(
                _Advice(
                    1,
                    4,
                    f"Complaints [handling adequate]: {recovery:.0%} of complaints recovered, "
                    f"unrecovered churn {ratio_text}; keep tracking time to resolve.",
                )
            )
    return _ordered(advice)


#: The areas of each case's advice: the figures an area needs and the data those come from.
AREAS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "retail": {
        "Retention": (("churn_rate", "at_risk_count", "value_at_risk", "lapsed_count"), "orders"),
        "Customer value": (("top20_share", "champions"), "orders"),
        "Satisfaction": (("nps",), "survey answers (tables surveys and survey_items)"),
        "Complaints": (("complaint_recovery",), "complaint records (table interactions)"),
        "Acquisition": (
            (
                "best_channel",
                "best_channel_equity",
                "worst_channel",
                "worst_channel_equity",
                "acquisition_cost",
                "mean_clv",
            ),
            "acquisition channel and cost per customer (table customers)",
        ),
    },
    "b2b": {
        "Profitability": (
            ("unprofitable_share", "whale_peak", "profit_destroyed", "self_service_accounts", "key_accounts"),
            "activities, activity rates and capacity",
        ),
        "Capacity": (("unused_capacity_cost", "cost_to_serve", "overloaded_departments"), "capacity"),
        "Share of wallet": (("mean_share_of_wallet", "wallet_not_won"), "wallet estimates (table wallets)"),
        "Relationships": (("churn_rate", "accounts_in_decline", "accounts_in_exploration"), "orders"),
        "Complaints": (("complaint_recovery",), "complaint records (table interactions)"),
    },
}


def missing_areas(figures: Mapping[str, Any], case: str) -> list[str]:
    """Notes for the areas left out of the advice because the data cannot give their figures.

    Examples
    --------
    >>> missing_areas({"nps": None, "complaint_recovery": 0.6}, "retail")[0]
    'Satisfaction: left out, the data have no survey answers (tables surveys and survey_items).'
    """
    notes = []
    for area, (names, source) in AREAS[case].items():
        if any(n in figures and figures[n] is None for n in names):
            notes.append(f"{area}: left out, the data have no {source}.")
    return notes


def rule_tag(recommendation: str) -> str:
    """The area and rule of a recommendation, e.g. ``'Retention [churn >= 35%]'``.

    Examples
    --------
    >>> rule_tag("Retention [churn >= 35%]: 41% of last year's customers ...")
    'Retention [churn >= 35%]'
    """
    return recommendation.split("]:", 1)[0] + "]"


def rule_tags(case: str, rules: Any = None) -> list[str]:
    """Every rule a case's recommendations can fire, as :func:`rule_tag` gives it, in area order.

    Examples
    --------
    >>> len(rule_tags("retail")), len(rule_tags("b2b"))
    (15, 13)
    >>> rule_tags("b2b")[:2]
    ['Profitability [whale peak >= 150%]', 'Profitability [loss makers >= 25%]']
    """
    if case == "retail":
        r = rules or RetailRules()
        return [
            f"Retention [churn >= {r.high_churn:.0%}]",
            f"Retention [churn <= {r.low_churn:.0%}]",
            f"Retention [{r.low_churn:.0%} < churn < {r.high_churn:.0%}]",
            f"Customer value [top 20% >= {r.concentrated:.0%}]",
            f"Customer value [top 20% <= {r.spread:.0%}]",
            f"Customer value [{r.spread:.0%} < top 20% < {r.concentrated:.0%}]",
            f"Satisfaction [NPS < {r.weak_nps:g}]",
            f"Satisfaction [NPS >= {r.strong_nps:g}]",
            f"Satisfaction [{r.weak_nps:g} <= NPS < {r.strong_nps:g}]",
            f"Complaints [recovery < {r.weak_recovery:.0%}, unrecovered churn >= {r.costly_complaints:g}x]",
            f"Complaints [recovery < {r.weak_recovery:.0%}]",
            f"Complaints [recovery >= {r.weak_recovery:.0%}]",
            "Acquisition [a channel loses money]",
            "Acquisition [CLV < acquisition cost]",
            "Acquisition [all channels pay back]",
        ]
    if case == "b2b":
        b = rules or B2BRules()
        return [
            f"Profitability [whale peak >= {b.steep_whale:.0%}]",
            f"Profitability [loss makers >= {b.many_loss_makers:.0%}]",
            "Profitability [few loss makers]",
            "Capacity [a department over capacity]",
            f"Capacity [idle >= {b.idle_capacity:.0%} of cost to serve]",
            "Capacity [balanced]",
            f"Share of wallet [mean < {b.low_share:.0%}]",
            f"Share of wallet [mean >= {b.high_share:.0%}]",
            f"Share of wallet [{b.low_share:.0%} <= mean < {b.high_share:.0%}]",
            f"Relationships [churn >= {b.high_churn:.0%}]",
            f"Relationships [churn < {b.high_churn:.0%}]",
            f"Complaints [recovery < {b.weak_recovery:.0%}, unrecovered churn >= {b.costly_complaints:g}x]",
            "Complaints [handling adequate]",
        ]
    raise CRMDataError(f"case {case!r} has no rules; use 'retail' or 'b2b'.")
