"""The executive summary (管理摘要) of a case study: key facts and recommendations a manager can read.

Facts are sentences built from the recorded figures (:mod:`crmlab.case_figures`),
recommendations come from :mod:`crmlab.recommendations`; the summary is
Markdown (shown formatted in Jupyter and in the HTML report) or plain text.
"""

from __future__ import annotations

import textwrap
from typing import Any, Mapping, Sequence

from crmlab.currency import format_money

__all__ = ["retail_facts", "b2b_facts", "executive_summary", "executive_summary_markdown"]


def _horizon() -> int:
    from crmlab.diagnosis import CLV_HORIZON_YEARS

    return CLV_HORIZON_YEARS


def retail_facts(figures: Mapping[str, Any], *, currency: str = "EUR") -> list[str]:
    """The key facts of the retail case as sentences, from its recorded figures.

    Examples
    --------
    >>> f = dict(customers=3000, active_customers=1650, revenue=780537.0, revenue_per_active=473.1,
    ...          top20_share=0.625, churn_rate=0.412, mean_clv=161.6, at_risk_count=198,
    ...          value_at_risk=33531.6, nps=27.8, complaint_rate=0.2, complaint_recovery=0.54,
    ...          best_channel="referral", worst_channel="social")
    >>> retail_facts(f)[0]
    '1,650 of 3,000 customers ordered in the analysis year, for 780,537 EUR (473 EUR per active customer).'
    """
    f, cur = figures, currency
    facts = [
        f"{f['active_customers']:,} of {f['customers']:,} customers ordered in the analysis year, for "
        f"{format_money(f['revenue'], cur)} ({format_money(f['revenue_per_active'], cur)} per active customer).",
        f"The top 20% of buying customers bring {f['top20_share']:.0%} of revenue.",
        f"Churn over the year: {f['churn_rate']:.0%}; a customer is worth {format_money(f['mean_clv'], cur)} on average "
        f"over the next {_horizon()} years.",
        f"{f['at_risk_count']:,} customers are on the churn warning list, holding "
        f"{format_money(f['value_at_risk'], cur)} of customer lifetime value.",
    ]
    if f.get("nps") is not None:
        facts.append(f"NPS {f['nps']:+.0f} over the year.")
    if f.get("complaint_recovery") is not None:
        facts.append(
            f"{f['complaint_rate']:.2f} complaints per active customer, "
            f"{f['complaint_recovery']:.0%} of them recovered."
        )
    if f.get("best_channel") is not None:
        facts.append(f"Best acquisition channel: {f['best_channel']}; weakest: {f['worst_channel']}.")
    return facts


def b2b_facts(figures: Mapping[str, Any], *, currency: str = "EUR") -> list[str]:
    """The key facts of the B2B case as sentences, from its recorded figures.

    Examples
    --------
    >>> f = dict(accounts=400, active_accounts=254, revenue=5.09e6, profit=735251.0, cost_to_serve=5.2e5,
    ...          unused_capacity_cost=60620.0, top20_profit_share=0.9, whale_peak=1.2,
    ...          unprofitable_share=0.37, mean_share_of_wallet=0.2, churn_rate=0.34,
    ...          complaint_rate=0.2, complaint_recovery=0.48, key_accounts=30)
    >>> b2b_facts(f)[0]
    '254 of 400 accounts ordered in the analysis year, for 5,090,000 EUR.'
    """
    f, cur = figures, currency
    return [
        f"{f['active_accounts']:,} of {f['accounts']:,} accounts ordered in the analysis year, for "
        f"{format_money(f['revenue'], cur)}.",
        f"After a cost to serve of {format_money(f['cost_to_serve'], cur)} the accounts earn "
        f"{format_money(f['profit'], cur)}; unused capacity costs a further {format_money(f['unused_capacity_cost'], cur)}.",
        f"The top 20% of accounts earn {f['top20_profit_share']:.0%} of profit (whale curve peak "
        f"{f['whale_peak']:.0%}); {f['unprofitable_share']:.0%} of accounts lose money.",
        f"Mean share of wallet {f['mean_share_of_wallet']:.0%}; account churn over the year {f['churn_rate']:.0%}.",
        f"{f['complaint_rate']:.2f} complaints per active account, {f['complaint_recovery']:.0%} of them recovered.",
        f"{f['key_accounts']:,} accounts qualify for the key-account service level.",
    ]


def executive_summary(title: str, facts: Sequence[str], recommendations: Sequence[str], *, width: int = 96) -> str:
    """A plain-text executive summary: a title, the key facts, numbered recommendations.

    Examples
    --------
    >>> print(executive_summary("ACME", ["120 customers."], ["Retention [x]: call them."]))
    ACME
    ====
    Key facts
      - 120 customers.
    Recommendations
      1. Retention [x]: call them.
    """
    lines = [title, "=" * len(title), "Key facts"]
    for fact in facts:
        lines += textwrap.wrap(fact, width, initial_indent="  - ", subsequent_indent="    ")
    lines.append("Recommendations")
    for i, text in enumerate(recommendations, 1):
        lines += textwrap.wrap(text, width, initial_indent=f"  {i}. ", subsequent_indent="     ")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Text safe inside Markdown: characters with a meaning there are escaped."""
    for ch in "\\`*_[]<|":
        text = text.replace(ch, "\\" + ch)
    return text


def executive_summary_markdown(
    title: str, facts: Sequence[str], recommendations: Sequence[str], *, notes: Sequence[str] = ()
) -> str:
    """The executive summary as Markdown: a heading, the key facts, numbered recommendations, notes.

    Show it formatted with ``display(Markdown(...))``. The area and rule of each
    recommendation (the part before ``]:``) is set in bold; ``notes`` (e.g.
    sections left out for lack of data) follow in italics. Text from the data
    (a company name, a channel) is escaped, so it is shown as written.

    Examples
    --------
    >>> print(executive_summary_markdown("ACME *Ltd*", ["120 customers."], ["Retention [churn >= 35%]: call them."],
    ...                                  notes=["No surveys: satisfaction left out."]))
    ### ACME \\*Ltd\\*
    <BLANKLINE>
    **Key facts**
    <BLANKLINE>
    - 120 customers.
    <BLANKLINE>
    **Recommendations**
    <BLANKLINE>
    1. **Retention \\[churn >= 35%\\]:** call them.
    <BLANKLINE>
    *Note: No surveys: satisfaction left out.*
    """
    lines = [f"### {_md(title)}", "", "**Key facts**", ""]
    lines += [f"- {_md(fact)}" for fact in facts]
    lines += ["", "**Recommendations**", ""]
    for i, text in enumerate(recommendations, 1):
        head, sep, rest = text.partition("]: ")
        lines.append(f"{i}. **{_md(head)}]:** {_md(rest)}".replace("]:**", "\\]:**", 1) if sep else f"{i}. {_md(text)}")
    for note in notes:
        lines += ["", f"*Note: {_md(note)}*"]
    return "\n".join(lines)
