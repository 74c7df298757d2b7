"""Customer acquisition and development (客户获取, 客户开发).

* **Acquisition quality** by acquisition channel, after the evaluation system
  the course lists (获取质量评估): acquisition cost per new customer; the
  acquisition cost against the revenue the retained customers bring
  afterwards (顾客保持收益); acquisition equity (获取资产) -- the margin new
  customers earn in their first period minus what it cost to win them, the
  acquisition part of customer equity in Blattberg, Getz & Thomas (2001,
  *Customer Equity*); the acquisition cost as a share of that first-period
  margin; new customers' share of revenue and profit; acquisition equity as a
  share of customer lifetime value. Acquisition cost = spend ÷ customers
  acquired (Kumar & Reinartz, *Customer Relationship Management*).
* **Share of wallet** (钱包份额): the customer's spend with us ÷ their total
  spend in the category; segments by share × wallet size; the wallet
  allocation rule of Keiningham et al. (2011, *HBR*):
  ``SOW = (1 - rank/(N+1)) · 2/N`` for the brand ranked ``rank`` of N used.
* **Customer development** (客户开发): cross-selling from category
  co-purchase (support, confidence, lift of association rules, Agrawal,
  Imieliński & Swami 1993), next-best-category suggestions, and up-selling
  candidates.

Returned orders are left out of every revenue figure and counted in
``attrs["excluded"]``. Time windows are in days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlab._validate import (
    CRMDataError,
    as_of_date,
    check_choice,
    check_range,
    check_same_ids,
    check_table,
    note_excluded,
)
from crmlab._contract import checked
from crmlab.loyalty import _drop_returns, _unique_pairs

__all__ = [
    "acquisition_quality",
    "share_of_wallet",
    "WALLET_STRATEGIES",
    "wallet_segments",
    "wallet_allocation_rule",
    "co_purchase",
    "next_best_category",
    "upsell_candidates",
]


def _codes_in(ids: pd.Index, values: pd.Series, table: str, column: str, other: str) -> np.ndarray:
    """Position of each value in ``ids``; an unknown value is an error naming both tables."""
    pos = ids.get_indexer(values)
    if (pos < 0).any():
        bad = values.to_numpy()[pos < 0]
        raise CRMDataError(
            f"table '{table}', column '{column}': {len(set(bad))} id(s) not found in '{other}' "
            f"(first: {bad[0]!r}). Pass matching tables, or filter '{table}' to known ids first."
        )
    return pos


# ---------------------------------------------------------------- acquisition quality
@checked
def acquisition_quality(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    clv: pd.Series | None = None,
    customer: str = "customer_id",
    channel: str = "acquisition_channel",
    cost: str = "acquisition_cost",
    signup: str = "signup_date",
    date: str = "order_date",
    amount: str = "amount",
    margin: str = "gross_margin",
    horizon_days: int = 365,
    as_of: Any = None,
    returned: str | None = "returned",
) -> pd.DataFrame:
    """The course's acquisition-quality measures per acquisition channel.

    With h = ``horizon_days`` (the *first period*, default one year after signup):

    * ``new_customers``, ``acquisition_spend``, ``acquisition_cost`` (spend per new customer);
    * customers whose first period is complete by ``as_of`` (``matured``):
      ``first_period_revenue`` and ``first_period_margin`` per customer,
      ``first_period_cost`` (the mean acquisition cost of these same customers),
      ``acquisition_equity`` = first-period margin - first-period cost (per
      customer, so the three columns subtract exactly; ``acquisition_equity_total``
      for the channel) and ``cost_share_of_margin`` = first-period cost ÷
      first-period margin (the share of the first-period margin that winning the
      customers ate up; above 1 the first period did not pay the acquisition back);
    * customers whose second period is complete (``matured_2``):
      ``retained_share`` (ordered again in days [h, 2h) after signup),
      ``retention_revenue`` (revenue in that second period per customer
      acquired, those who left counting 0), ``revenue_per_retained`` (the same
      revenue per customer who ordered in the second period) and
      ``cost_to_retention_revenue`` = their acquisition cost ÷ retention revenue;
    * ``new_revenue_share`` and ``new_profit_share``: revenue and margin of
      orders placed within a customer's first period, as a share of all
      revenue and margin in the data (channels add up to the whole);
    * ``equity_share_of_clv`` = acquisition equity ÷ mean CLV of the channel's
      customers, when ``clv`` (a Series indexed by customer) is given.

    An ``all`` row gives the same over every channel. Customers not yet matured
    are left out of the per-period measures and counted in ``attrs["excluded"]``.

    Examples
    --------
    >>> cu = pd.DataFrame({"customer_id": ["a", "b"], "acquisition_channel": ["web", "web"],
    ...     "acquisition_cost": [50.0, 30.0], "signup_date": ["2023-01-01", "2023-01-01"]})
    >>> o = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": ["2023-02-01", "2024-02-01", "2023-03-01"],
    ...     "amount": [200.0, 100.0, 60.0], "gross_margin": [80.0, 40.0, 20.0]})
    >>> q = acquisition_quality(cu, o, as_of="2024-12-31").loc["web"]
    >>> float(q["acquisition_equity"]), float(q["retained_share"])  # ((80-50) + (20-30)) / 2; a came back
    (10.0, 0.5)
    """
    cu = check_table(
        customers,
        "customers",
        {customer: "id", channel: "category", cost: "nonneg", signup: "datetime"},
        unique=customer,
    )
    o = check_table(orders, "orders", {customer: "id", date: "datetime", amount: "nonneg", margin: "number"})
    h = int(check_range("horizon_days", horizon_days, lo=1))
    attrs: dict = {}
    check_same_ids(o[customer], "orders", customer, cu[customer], "customers", customer)
    as_of = as_of_date(as_of, o[date], column=date)
    o = _drop_returns(o, returned, attrs)
    pos = _codes_in(pd.Index(cu[customer]), o[customer], "orders", customer, "customers")
    sign = cu[signup].to_numpy()
    age = (o[date].to_numpy() - sign[pos]) / np.timedelta64(1, "D")
    in1, in2 = age < h, (age >= h) & (age < 2 * h)
    rev, mar = o[amount].to_numpy(float), o[margin].to_numpy(float)
    n = len(cu)
    cust = pd.DataFrame(
        {
            "channel": cu[channel].astype(str).to_numpy(),
            "cost": cu[cost].to_numpy(float),
            "rev1": np.bincount(pos[in1], rev[in1], n),
            "mar1": np.bincount(pos[in1], mar[in1], n),
            "rev2": np.bincount(pos[in2], rev[in2], n),
            "active2": np.bincount(pos[in2], minlength=n) > 0,
            "m1": sign + np.timedelta64(h, "D") <= as_of.to_datetime64(),
            "m2": sign + np.timedelta64(2 * h, "D") <= as_of.to_datetime64(),
        }
    )
    if clv is not None:
        if not isinstance(clv, pd.Series):
            raise CRMDataError("parameter 'clv': expected a pandas Series of CLV indexed by customer id.")
        cv = clv.reindex(cu[customer].to_numpy())
        if cv.isna().any():
            raise CRMDataError(
                f"parameter 'clv': {int(cv.isna().sum())} customer(s) have no CLV (first: "
                f"{cv.index[cv.isna().to_numpy()][0]!r}). Give a CLV for every customer in 'customers'."
            )
        cust["clv"] = cv.to_numpy(float)
    new_rev = pd.Series(rev[in1]).groupby(cust["channel"].to_numpy()[pos[in1]]).sum()
    new_mar = pd.Series(mar[in1]).groupby(cust["channel"].to_numpy()[pos[in1]]).sum()
    tot_rev, tot_mar = rev.sum(), mar.sum()

    def measures(c: pd.DataFrame, nr: float, nm: float) -> dict:
        m1, m2 = c.loc[c["m1"]], c.loc[c["m2"]]
        eq = m1["mar1"] - m1["cost"]
        row = {
            "new_customers": len(c),
            "acquisition_spend": c["cost"].sum(),
            "acquisition_cost": c["cost"].mean(),
            "matured": len(m1),
            "first_period_revenue": m1["rev1"].mean(),
            "first_period_margin": m1["mar1"].mean(),
            "first_period_cost": m1["cost"].mean(),
            "acquisition_equity": eq.mean(),
            "acquisition_equity_total": eq.sum(),
            "cost_share_of_margin": m1["cost"].sum() / m1["mar1"].sum() if m1["mar1"].sum() > 0 else np.nan,
            "matured_2": len(m2),
            "retained_share": m2["active2"].mean(),
            "retention_revenue": m2["rev2"].mean(),
            "revenue_per_retained": m2.loc[m2["active2"], "rev2"].mean() if m2["active2"].any() else np.nan,
            "cost_to_retention_revenue": m2["cost"].mean() / m2["rev2"].mean() if m2["rev2"].sum() > 0 else np.nan,
            "new_revenue_share": nr / tot_rev if tot_rev > 0 else np.nan,
            "new_profit_share": nm / tot_mar if tot_mar != 0 else np.nan,
        }
        if "clv" in c:
            row["equity_share_of_clv"] = eq.mean() / c["clv"].mean() if c["clv"].mean() != 0 else np.nan
        return row

    rows = {ch: measures(c, new_rev.get(ch, 0.0), new_mar.get(ch, 0.0)) for ch, c in cust.groupby("channel", sort=True)}
    rows["all"] = measures(cust, new_rev.sum(), new_mar.sum())
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis(channel)
    out.attrs.update(attrs)
    out.attrs.update(
        horizon_days=h, as_of=as_of, units="currency units per customer unless *_total/*_spend; shares 0-1"
    )
    note_excluded(out, "customers whose first period is not over by as_of", int((~cust["m1"]).sum()))
    return note_excluded(out, "customers whose second period is not over by as_of", int((~cust["m2"]).sum()))


# ---------------------------------------------------------------- share of wallet
@checked
def share_of_wallet(
    orders: pd.DataFrame,
    wallets: pd.DataFrame,
    *,
    customer: str = "account_id",
    date: str = "order_date",
    amount: str = "amount",
    year: str = "year",
    wallet: str = "category_spend",
    returned: str | None = "returned",
) -> pd.DataFrame:
    """Share of wallet (钱包份额) per customer and year: our revenue ÷ their category spend.

    Every row of ``wallets`` gets a share (0 when the customer bought nothing
    from us that year). Orders of customer-years without a wallet estimate are
    left out and counted. A share above 1 means the wallet estimate is too low:
    it is kept as is and counted in ``attrs["over_wallet"]``, as is a wallet of 0
    with spend (its share is undefined and left NaN).

    Returns
    -------
    DataFrame indexed by (customer, year): ``spend``, ``wallet``, ``share_of_wallet``.

    Examples
    --------
    >>> o = pd.DataFrame({"account_id": ["a", "a", "b"],
    ...     "order_date": ["2024-03-01", "2024-06-01", "2024-05-01"], "amount": [300.0, 100.0, 50.0]})
    >>> w = pd.DataFrame({"account_id": ["a", "b"], "year": [2024, 2024], "category_spend": [1000.0, 500.0]})
    >>> share_of_wallet(o, w)["share_of_wallet"].tolist()
    [0.4, 0.1]
    """
    o = check_table(orders, "orders", {customer: "id", date: "datetime", amount: "nonneg"})
    w = check_table(wallets, "wallets", {customer: "id", year: "number", wallet: "nonneg"}, unique=[customer, year])
    check_same_ids(o[customer], "orders", customer, w[customer], "wallets", customer)
    attrs: dict = {}
    o = _drop_returns(o, returned, attrs)
    spend = o.groupby([o[customer].to_numpy(), o[date].dt.year.to_numpy()])[amount].sum()
    key = pd.MultiIndex.from_arrays(
        [w[customer].to_numpy(), w[year].to_numpy().astype(np.int64)], names=[customer, year]
    )
    spend.index = spend.index.set_names([customer, year])
    out = pd.DataFrame(
        {"spend": spend.reindex(key).fillna(0.0).to_numpy(), "wallet": w[wallet].to_numpy(float)}, index=key
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_of_wallet"] = out["spend"] / out["wallet"].where(out["wallet"] > 0)
    orphan = spend.index.difference(key)
    n_orphan = 0
    if len(orphan):
        pairs = pd.MultiIndex.from_arrays([o[customer].to_numpy(), o[date].dt.year.to_numpy()])
        n_orphan = int(pairs.isin(orphan).sum())
    out.attrs.update(attrs)
    # a wallet of 0 with spend is an estimate too low as well (its share is undefined, NaN)
    over = (out["share_of_wallet"] > 1) | ((out["wallet"] <= 0) & (out["spend"] > 0))
    out.attrs.update(over_wallet=int(over.sum()), unit="share 0-1 of yearly category spend")
    return note_excluded(out, "orders in customer-years without a wallet estimate", n_orphan)


#: Strategy for each wallet segment, keyed by (high share, high wallet).
WALLET_STRATEGIES: dict[tuple[bool, bool], str] = {
    (True, True): "Defend: key account",
    (False, True): "Grow share: cross-/up-sell",
    (True, False): "Maintain efficiently",
    (False, False): "Serve at low cost",
}


@checked
def wallet_segments(
    sow: pd.DataFrame,
    wallet_size: pd.Series | None = None,
    *,
    year: int | None = None,
    share_cut: float | str = "median",
    wallet_cut: float | str = "median",
) -> pd.DataFrame:
    """Two-by-two wallet segmentation: share of wallet (high/low) × wallet size (high/low).

    =============== ============================ ======================
    share \\ wallet  large wallet                 small wallet
    =============== ============================ ======================
    high share      Defend: key account          Maintain efficiently
    low share       Grow share: cross-/up-sell   Serve at low cost
    =============== ============================ ======================

    Parameters
    ----------
    sow : the result of :func:`share_of_wallet`; one ``year`` is used (default the latest).
    wallet_size : optional Series (by customer) to use instead of the wallet column.
    share_cut, wallet_cut : a number or "median"/"mean"; at or above counts as high.

    Examples
    --------
    >>> sow = pd.DataFrame({"share_of_wallet": [0.6, 0.1, 0.7, 0.2], "wallet": [900., 800., 100., 50.]},
    ...     index=pd.MultiIndex.from_product([list("abcd"), [2024]], names=["account_id", "year"]))
    >>> wallet_segments(sow, share_cut=0.5, wallet_cut=500)["segment"].tolist()
    ['Defend: key account', 'Grow share: cross-/up-sell', 'Maintain efficiently', 'Serve at low cost']
    """
    if not isinstance(sow, pd.DataFrame) or "share_of_wallet" not in sow or sow.index.nlevels != 2:
        raise CRMDataError("table 'sow': expected the DataFrame returned by share_of_wallet().")
    years = sow.index.get_level_values(1)
    y = int(years.max()) if year is None else int(year)
    if y not in set(years):
        raise CRMDataError(f"parameter 'year' = {year!r}: no share of wallet for that year; have {sorted(set(years))}.")
    cur = sow.xs(y, level=1)
    size = cur["wallet"] if wallet_size is None else wallet_size.reindex(cur.index)
    if size.isna().any() or cur["share_of_wallet"].isna().any():
        raise CRMDataError(
            f"table 'sow': {int(size.isna().sum() + cur['share_of_wallet'].isna().sum())} customer(s) "
            f"lack a wallet size or share in {y} (a wallet of 0 gives no share). Fill or drop them first."
        )
    from crmlab.loyalty import _cut

    sc, wc = _cut("share", cur["share_of_wallet"], share_cut), _cut("wallet", size, wallet_cut)
    hs, hw = cur["share_of_wallet"].to_numpy() >= sc, size.to_numpy() >= wc
    out = pd.DataFrame(
        {
            "share_of_wallet": cur["share_of_wallet"].to_numpy(),
            "wallet": size.to_numpy(),
            "high_share": hs,
            "high_wallet": hw,
            "segment": [WALLET_STRATEGIES[(bool(a), bool(b))] for a, b in zip(hs, hw)],
        },
        index=cur.index,
    )
    out.attrs.update(year=y, share_cut=sc, wallet_cut=wc)
    return out


@checked
def wallet_allocation_rule(rank: Any, n: Any) -> Any:
    """Expected share of wallet of the brand ranked ``rank`` among ``n`` used (Keiningham et al. 2011).

    ``SOW = (1 - rank / (n + 1)) · 2 / n``; the shares of ranks 1..n add up to 1.

    Examples
    --------
    >>> [round(float(wallet_allocation_rule(r, 3)), 4) for r in (1, 2, 3)]  # 1/2, 1/3, 1/6
    [0.5, 0.3333, 0.1667]
    """
    r = np.asarray(rank, dtype=float)
    k = np.asarray(n, dtype=float)
    if np.any(k < 1) or np.any(k != np.round(k)):
        raise CRMDataError("parameter 'n': the number of brands used must be a whole number >= 1.")
    if np.any(r < 1) or np.any(r > k) or np.any(r != np.round(r)):
        raise CRMDataError("parameter 'rank': ranks must be whole numbers from 1 (preferred) to n.")
    out = (1 - r / (k + 1)) * 2 / k
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------- cross- and up-selling
def _incidence(df: pd.DataFrame, tx: str, item: str):
    """Distinct (transaction, item) pairs as codes, with the labels."""
    t, t_ids = pd.factorize(df[tx])
    i, i_ids = pd.factorize(df[item], sort=True)
    tc, ic = _unique_pairs(t, i.astype(np.int64))
    return tc, ic, t_ids, i_ids


@checked
def co_purchase(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    item: str = "category",
    level: str = "customer",
    basket: str = "order_id",
    min_count: int = 1,
    returned: str | None = "returned",
) -> pd.DataFrame:
    """Pairwise co-purchase rules A → B with support, confidence and lift.

    A *transaction* is a customer (everything they ever bought, ``level="customer"``)
    or a basket (``level="basket"``, grouped by ``basket``). Over N transactions:
    ``support = n(A and B) / N``, ``confidence = n(A and B) / n(A)``,
    ``lift = confidence / (n(B) / N)`` (> 1: B is bought with A more often than
    by chance). Returned orders are no purchase: they are left out (flag
    column ``returned``; ``None`` keeps every row) and counted in
    ``attrs["excluded"]``.

    Returns
    -------
    DataFrame, one row per ordered pair with ``n_both >= min_count``:
    ``antecedent``, ``consequent``, ``n_both``, ``support``, ``confidence``, ``lift``,
    sorted by lift; ``attrs["item_support"]``, ``attrs["transactions"]``.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c", "d"],
    ...                   "category": ["tea", "cups", "tea", "cups", "tea", "cake"]})
    >>> r = co_purchase(o).set_index(["antecedent", "consequent"])
    >>> r.loc[("tea", "cups"), ["support", "confidence", "lift"]].round(3).tolist()  # 2/4, 2/3, (2/3)/(2/4)
    [0.5, 0.667, 1.333]
    """
    check_choice("level", level, ["customer", "basket"])
    tx = customer if level == "customer" else basket
    df = check_table(orders, "orders", {tx: "id", item: "category"}, order_lines=True)  # rows are basket items
    k = int(check_range("min_count", min_count, lo=1))
    attrs: dict = {}
    df = _drop_returns(df, returned, attrs)
    tc, ic, t_ids, i_ids = _incidence(df, tx, item)
    from scipy import sparse

    X = sparse.csr_matrix((np.ones(len(tc), dtype=np.int64), (tc, ic)), shape=(len(t_ids), len(i_ids)))
    co = (X.T @ X).tocoo()
    n_t = len(t_ids)
    count = np.bincount(ic, minlength=len(i_ids)).astype(float)
    keep = (co.row != co.col) & (co.data >= k)
    a, b, nab = co.row[keep], co.col[keep], co.data[keep].astype(float)
    conf = nab / count[a]
    out = pd.DataFrame(
        {
            "antecedent": np.asarray(i_ids)[a],
            "consequent": np.asarray(i_ids)[b],
            "n_both": nab.astype(np.int64),
            "support": nab / n_t,
            "confidence": conf,
            "lift": conf / (count[b] / n_t),
        }
    ).sort_values(["lift", "antecedent", "consequent"], ascending=[False, True, True], ignore_index=True)
    out.attrs.update(attrs)
    out.attrs.update(
        level=level,
        transactions=n_t,
        item_support=pd.Series(count / n_t, index=pd.Index(i_ids, name=item), name="support"),
    )
    return out


@checked
def next_best_category(
    orders: pd.DataFrame,
    rules: pd.DataFrame,
    *,
    customer: str = "customer_id",
    item: str = "category",
    top_n: int = 3,
    metric: str = "lift",
    min_lift: float = 1.0,
) -> pd.DataFrame:
    """Suggest, per customer, the categories they have not bought yet that their purchases point to.

    The score of a category B for a customer is the highest ``metric`` of a
    rule A → B with lift >= ``min_lift`` whose antecedent A the customer has
    bought; ``because`` names that A. Categories already bought are never
    suggested. The default ranks by **lift**: how much more often buyers of A
    buy B than customers in general -- what buying A says about the customer.
    Ranking by ``"confidence"`` instead favours the categories most customers
    buy anyway (a popular category tops most lists whatever the customer bought).
    ``confidence`` (the share of A's buyers who also bought B) is returned
    beside the score: a baseline for planning, not the share who will respond
    to an offer.

    Returns
    -------
    DataFrame with ``customer``, ``rank`` (1 = best), ``item``, ``score``, ``because`` and
    ``confidence`` (of the rule ``because`` → ``item``).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c", "d"],
    ...                   "category": ["tea", "cups", "tea", "cups", "tea", "cake"]})
    >>> nb = next_best_category(o, co_purchase(o))
    >>> nb[["customer_id", "category", "because"]].values.tolist()  # c bought tea: tea -> cups
    [['c', 'cups', 'tea']]
    """
    check_choice("metric", metric, ["confidence", "lift"])
    top_n = int(check_range("top_n", top_n, lo=1))
    df = check_table(orders, "orders", {customer: "id", item: "category"}, order_lines=True)  # items bought
    rl = check_table(
        rules,
        "rules",
        {"antecedent": "category", "consequent": "category", metric: "number", "lift": "number"},
        min_rows=0,
    )
    rl = rl.loc[rl["lift"] >= min_lift]
    tc, ic, c_ids, i_ids = _incidence(df, customer, item)
    items = pd.Index(i_ids)
    known = items.get_indexer(rl["antecedent"]) >= 0
    known &= items.get_indexer(rl["consequent"]) >= 0
    rl = rl.loc[known]
    m = len(items)
    S = np.zeros((m, m))
    C = np.zeros((m, m))
    ia, ib = items.get_indexer(rl["antecedent"]), items.get_indexer(rl["consequent"])
    S[ia, ib] = rl[metric].to_numpy(float)
    C[ia, ib] = rl["confidence"].to_numpy(float) if "confidence" in rl.columns else np.nan
    owned = np.zeros((len(c_ids), m), dtype=bool)
    owned[tc, ic] = True
    parts = []
    block = max(1, 4_000_000 // max(m, 1))
    for s0 in range(0, len(c_ids), block):
        ow = owned[s0 : s0 + block]
        score = np.zeros(ow.shape)
        why = np.full(ow.shape, -1)
        for a in np.flatnonzero(S.any(axis=1)):
            cand = np.where(ow[:, [a]], S[a][None, :], 0.0)
            better = cand > score
            score[better], why[better] = cand[better], a
        score[ow] = 0.0
        k = min(top_n, m)
        best = np.argsort(-score, axis=1, kind="stable")[:, :k]
        rows = np.repeat(np.arange(len(ow)), k)
        cols = best.ravel()
        sc = score[rows, cols]
        ok = sc > 0
        because = why[rows, cols][ok]
        parts.append(
            pd.DataFrame(
                {
                    customer: np.asarray(c_ids)[s0 + rows[ok]],
                    "rank": np.tile(np.arange(1, k + 1), len(ow))[ok],
                    item: np.asarray(i_ids)[cols[ok]],
                    "score": sc[ok],
                    "because": np.asarray(i_ids)[because],
                    "confidence": C[because, cols[ok]],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    out.attrs.update(metric=metric, min_lift=min_lift, top_n=top_n)
    return out


@checked
def upsell_candidates(
    orders: pd.DataFrame,
    segments: pd.Series | None = None,
    *,
    customer: str = "customer_id",
    amount: str = "amount",
    spend_ratio: float = 0.75,
    returned: str | None = "returned",
) -> pd.DataFrame:
    """Up-selling candidates: frequent buyers whose orders are small for their segment.

    Within each segment (``segments``: a Series mapping customer → segment; one
    segment for all when omitted), a customer is a candidate when

    * they order at least as often as the segment's median customer, and
    * their average order value is below ``spend_ratio`` × the segment median.

    ``potential`` = (segment median order value - their average order value) ×
    their number of orders: the extra revenue had their orders been typical in
    size. Returned orders are left out and counted.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": list("aaabbbcd"),
    ...                   "amount": [10., 10., 10., 50., 50., 50., 40., 60.]})
    >>> upsell_candidates(o)[["orders", "avg_order_value", "potential"]].round(1).values.tolist()
    [[3.0, 10.0, 105.0]]
    """
    r = check_range("spend_ratio", spend_ratio, lo=0, hi=1, lo_open=True)
    df = check_table(orders, "orders", {customer: "id", amount: "nonneg"})
    attrs: dict = {}
    df = _drop_returns(df, returned, attrs)
    g = df.groupby(customer, observed=True)[amount]
    per = pd.DataFrame({"orders": g.size(), "avg_order_value": g.mean()})
    if segments is None:
        per["segment"] = "all"
    else:
        if not isinstance(segments, pd.Series):
            raise CRMDataError("parameter 'segments': expected a pandas Series mapping customer id to segment.")
        seg = segments.reindex(per.index)
        if seg.isna().any():
            raise CRMDataError(
                f"parameter 'segments': {int(seg.isna().sum())} customer(s) in 'orders' have no segment "
                f"(first: {seg.index[seg.isna().to_numpy()][0]!r}). Give every customer a segment."
            )
        per["segment"] = seg.to_numpy()
    sg = per.groupby("segment", observed=True)
    per["segment_median_orders"] = sg["orders"].transform("median")
    per["segment_median_aov"] = sg["avg_order_value"].transform("median")
    cand = per.loc[
        (per["orders"] >= per["segment_median_orders"]) & (per["avg_order_value"] < r * per["segment_median_aov"])
    ].copy()
    cand["aov_ratio"] = cand["avg_order_value"] / cand["segment_median_aov"]
    cand["potential"] = (cand["segment_median_aov"] - cand["avg_order_value"]) * cand["orders"]
    cand = cand.sort_values("potential", ascending=False)
    cand.attrs.update(attrs)
    cand.attrs.update(spend_ratio=r, customers_checked=len(per), unit="currency units")
    return cand
