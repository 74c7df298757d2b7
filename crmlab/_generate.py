"""Synthetic customer information base (客户信息库) for the retail and b2b scenarios.

One function, :func:`generate_tables`, draws every table of a scenario from a
seed with numpy's ``default_rng`` (same arguments, same tables, same CSV bytes).
The tables look like a real customer base because they are drawn from a small
model of one; the model's latent variables are kept in the ``truth`` and
``truth_phases`` tables so a chapter can ask whether a method recovers them.
Time is counted in days from ``start``; one model month is 30.4375 days.

Customer lifecycle (客户生命周期; 陈明亮 2003)
------------------------------------------------
Each customer's relationship level is an expected order rate per month,
``lambda(t)``, that moves through the stages below. Orders are a Poisson
process with that rate (times seasonality and a noise with coefficient of
variation 0.25 in each half month), drawn in half-month bins; the first order is
placed on the day the relationship starts. ``truth.purchase_rate`` is the
plateau rate in orders per year, ``12 * lambda_S``.

- awareness: sign-up to first order; the same day (retail 55%, b2b 15%),
  otherwise after an exponential wait (mean 20 days retail, 25 days b2b).
- exploration 考察期: U(1, 3) months at the low trial rate
  ``lambda_E = min(clip(0.3 * lambda_S, 0.15, 0.8), lambda_S)`` (b2b clip at 1.0).
- formation 形成期: U(3, 8) months, the rate rises linearly from ``lambda_E`` to
  ``lambda_S``.
- stability 稳定期: the plateau ``lambda_S``; U(1, 6) months for pattern C,
  12 + Exp(mean 14) months for pattern D and for everyone still there.
- decline 退化期: the rate falls linearly from its level at the start of the
  decline to 0 over U(0.75, 1.5) months (A), U(2, 4) months (B) or U(2, 5)
  months (C, D).
- end: ``churn_date`` is the last day of the decline; there are no orders after it.

Decline can start from any stage. Where it starts is decided up front by
sequential hazards: ``P(leave in exploration) = sigmoid(a_A + h)``, then
``P(leave in formation | reached it) = sigmoid(a_B + h)``, then
``P(leave early in stability | reached it) = sigmoid(a_C + h)``; the rest stay
long (pattern D). ``(a_A, a_B, a_C)`` is (-1.2, -1.0, -0.85) for retail and
(-1.6, -1.4, -1.0) for b2b; ``h`` is the customer's churn propensity: segment
and acquisition-channel effects, ``-0.6 z`` for satisfaction, the complaint
effect (below) and, in retail, -0.2 for business customers. A customer who
leaves in exploration starts declining after U(0.4, 1.0) of the exploration
time; one who leaves in formation after U(0.25, 0.75) of the formation time.

``true_pattern`` is then read from where the decline began, for customers
whose ``churn_date`` falls inside the window: **A** (ended in exploration,
早期流产型: one to three trial orders, gone within about 3 months), **B**
(ended in formation, 中途夭折型: rising then falling, no plateau), **C** (ended
early in stability, 提前退出型: plateau of at most 6 months), **D** (ended after a
long stability, 长久保持型: plateau of at least 12 months). Plateaus between 6
and 12 months never end a relationship, so a rule such as "plateau < 9 months
→ C" separates C and D. Everyone whose relationship outlives the window is
**active**, whatever stage they are in at the end. With the shipped sizes the
mix is about A 25%, B 15%, C 10-14%, D 8%, active 40% (b2b: fewer A, more
active), and the transparent rule "months from the first to the last order
month: A <= 3, B <= 9, C <= 17, else D" classifies 85-90% of the ended
relationships correctly.

``truth_phases`` gives the phase of Dwyer, Schurr & Oh (1987) at every month end
from the sign-up month to the month after the churn month (or the end):
awareness before the first order, exploration = 考察期, expansion = 形成期,
commitment = 稳定期, dissolution = from the start of the decline on.

Satisfaction, complaints and service recovery
---------------------------------------------
Every customer has a latent satisfaction ``z ~ N(0, 1)``. It lowers the churn
propensity (``h`` gets ``-0.6 z``), raises survey answers and lowers the chance
of complaining. A complaint is *recovered* when it is resolved and
``satisfaction_after >= 5``; an unrecovered complaint adds 1.6 to ``h`` (and is
dated shortly before the decline starts), a recovered one takes 0.3 off: the
service-recovery effect. Inquiries are several times more frequent than
complaints; about 12% of inquiries have no follow-up and so no
``satisfaction_after`` (NaN) -- the only missing values besides ``churn_date``
of active customers. Complaint resolution takes a lognormal time with a median
of 24 hours (inquiries: 3 hours).

Retail
------
Sign-ups fall in monthly cohorts, more early in the window (weights
``0.5 + 1.5 exp(-month / 12)``, with January, September and November cohorts
larger). Four needs segments (bargain hunters, convenience seekers, quality
seekers, family stockers) differ in category and channel mix, order value,
purchase rate, attitude and which service attributes matter to them (plateau
rates 12, 22, 6 and 15 orders a year; typical orders 35, 30, 105 and 70). Purchase
rates are gamma distributed (shape 2.5) around the segment rate and spend per
order is lognormal per customer, so revenue is concentrated (the top 20% of
customers bring roughly 70% of it). November and December are peak
months, summer is slow. Acquisition channels differ in cost (search ~40,
social ~25, referral ~15, store ~10, email_list ~8) and quality (referral
customers stay longer and spend more, social ones leave sooner). Survey
answers come from ``z`` and, for ``attitude`` (relative attitude), also from the
purchase rate and the segment: convenience seekers buy often with a lukewarm
attitude (spurious loyalty), quality seekers buy seldom but like the brand
(latent loyalty) -- the four cells of Dick & Basu (1994). Ten service
attributes map to the five SERVQUAL dimensions (Parasuraman, Zeithaml & Berry
1988); "on-time delivery", "quick answers" and "easy returns" have clearly
negative gaps and high importance.

B2B
---
Accounts of three size bands have yearly category wallets (lognormal around
15,000, 55,000 and 200,000) that drift by a few percent a year; the ``wallets``
table has a row for every year from the sign-up year to the last year of the
window (the account's business goes on after it leaves us). The estimate is
never below our own sales that year, so the share of wallet stays at most 90%.
At the stability plateau we win a share of wallet between 5% and 90% (22, 48
and 100 orders a year by size band, gamma spread); in exploration and
formation our share is lower, in decline our volume falls while the wallet
does not. Needs segments (price buyers, service seekers,
relationship partners, self-service buyers) differ in margin, channel, rush
orders and how many sales visits and service calls they take; sales visits
are twice as frequent until the end of exploration (winning the account).
Activities are monthly batches per account, dated at the month end or the
churn date (sales visits and service calls drawn from the account's rates;
rush orders, returns and order processing counted from its orders). ``activity_rates`` and ``capacity`` follow time-driven ABC (Kaplan &
Anderson 2004): cost per minute of each department times the minutes per
driver unit is the TDABC rate; the conventional ABC ``unit_cost`` spreads the
whole department cost over the units actually performed (TDABC rate divided
by the department's utilisation). Departments: "field sales" (sales_visit),
"customer service" (service_call, return_handling), "order desk and
warehouse" (order_processing, rush_order); ``practical_minutes`` is set so the
average yearly use over the window is 80%, 85% and 88% of it. Small demanding
accounts lose money under activity-based costing, giving the whale curve of
Kaplan & Narayanan (2001).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["generate_tables", "Levers"]

MONTH = 30.4375  # days in a model month
PATTERNS = ["A", "B", "C", "D", "active"]
PHASES = ["awareness", "exploration", "expansion", "commitment", "dissolution"]
REGIONS = ["North", "East", "South", "West", "Central"]
TOPICS = ["delivery", "product quality", "billing", "staff", "website"]
KINDS = ["inquiry", "complaint"]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------
# Firm-profile levers (the defaults give the shipped data, byte for byte)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Levers:
    """The behavioural levers of a generated firm; every default leaves the model as described above.

    churn : added to every customer's churn propensity ``h`` (logit scale; +1 roughly doubles early exits).
    satisfaction : added to the latent satisfaction ``z`` (in standard deviations): surveys, complaints
        and churn all follow.
    attribute_gaps : ``{service attribute: shift}`` added to that attribute's mean perception gap
        (retail; points on the 1-7 scale).
    complaint_rate : added to the logit of the chance that a customer complains.
    complaint_handling : quality of complaint handling: faster resolution (``exp(-q)`` times the hours),
        more complaints resolved (+q on the logit) and higher satisfaction after (+0.5 q).
    complaint_impact : churn propensity added by an unrecovered complaint (shipped 1.6).
    channel_mix : ``{acquisition channel: share}`` of new customers (normalised; missing channels keep
        their shipped weight).
    channel_cost : ``{acquisition channel: factor}`` on that channel's acquisition cost.
    price_level : factor on every order value (and, in b2b, on wallets: the same share buys more).
    concentration : spread of customer value: (retail) the log standard deviation of spend per
        customer and per order and the differences between segments' spend and purchase rates times
        this factor, and for a factor below 1 the gamma shape of purchase rates divided by it (less
        spread); (b2b) the log standard deviation of wallets within a size band times this factor.
    growth : sign-ups late in the window relative to early ones: cohort weights times
        ``growth ** (month / months)``; above 1 the firm is growing.
    capacity : (b2b) ``{department: utilisation}``: average use of practical capacity (shipped 0.80,
        0.85, 0.88); above 1 the department is overloaded.
    cost_to_serve : (b2b) factor on sales visits, service calls and the rush-order share.
    share_of_wallet : (b2b) added to each segment's mean share of wallet at the plateau.
    segment_mix : ``{needs segment: share}`` of customers (normalised; missing segments keep their
        shipped weight).
    """

    churn: float = 0.0
    satisfaction: float = 0.0
    attribute_gaps: tuple = ()
    complaint_rate: float = 0.0
    complaint_handling: float = 0.0
    complaint_impact: float = 1.6
    channel_mix: tuple = ()
    channel_cost: tuple = ()
    price_level: float = 1.0
    concentration: float = 1.0
    growth: float = 1.0
    capacity: tuple = ()
    cost_to_serve: float = 1.0
    share_of_wallet: float = 0.0
    segment_mix: tuple = ()

    @classmethod
    def of(cls, profile) -> "Levers":
        """Levers from ``None``, a Levers or a mapping (dict-valued levers given as mappings)."""
        if profile is None:
            return cls()
        if isinstance(profile, cls):
            return profile
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(profile) - known)
        if unknown:
            raise ValueError(f"unknown firm-profile lever(s) {', '.join(unknown)}; use {', '.join(sorted(known))}.")
        values: dict[str, Any] = {
            k: (tuple(sorted(dict(v).items())) if isinstance(v, dict) else v) for k, v in profile.items()
        }
        return cls(**values)

    def per_name(self, field: str, names: Sequence[str], default: Any) -> np.ndarray:
        """A per-name array (channels, attributes, departments): the default with the given names replaced."""
        given = dict(getattr(self, field))
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ValueError(
                f"firm-profile lever '{field}': unknown name(s) {', '.join(map(repr, unknown))}; "
                f"use {', '.join(map(repr, names))}."
            )
        out = np.array(default, dtype=float)
        for i, name in enumerate(names):
            if name in given:
                out[i] = float(given[name])
        return out


# ---------------------------------------------------------------------------
# The calendar of the window
# ---------------------------------------------------------------------------
@dataclass
class _Window:
    start: "np.datetime64"
    n_days: int
    month_of_day: np.ndarray  # month index (0..M-1) of each day
    calmonth_of_day: np.ndarray  # calendar month 0..11 of each day
    year_of_day: np.ndarray
    month_first: np.ndarray  # first day (index) of each month inside the window
    month_last: np.ndarray  # last day (index) of each month inside the window
    month_end: np.ndarray  # calendar month-end dates (datetime64[D])
    bin_first: np.ndarray  # half-month bins: first day (the 1st and the 16th of each month)
    bin_last: np.ndarray

    @classmethod
    def of(cls, start: str, end: str) -> "_Window":
        s, e = np.datetime64(str(start)[:10], "D"), np.datetime64(str(end)[:10], "D")
        if e <= s:
            raise ValueError(f"the window must end after it starts: start={start}, end={end}.")
        days = np.arange(s, e + 1)
        months = days.astype("datetime64[M]")
        month_of_day = (months - months[0]).astype(int)
        n_months = int(month_of_day[-1]) + 1
        first = np.searchsorted(month_of_day, np.arange(n_months))
        last = np.append(first[1:] - 1, len(days) - 1)
        uniq = months[first]
        day_of_month = (days - months.astype("datetime64[D]")).astype(int) + 1
        bin_first = np.flatnonzero((day_of_month == 1) | (day_of_month == 16) | (np.arange(len(days)) == 0))
        return cls(
            start=s,
            n_days=len(days),
            month_of_day=month_of_day,
            calmonth_of_day=(months.astype(int) % 12),
            year_of_day=months.astype("datetime64[Y]").astype(int) + 1970,
            month_first=first,
            month_last=last,
            month_end=(uniq + 1).astype("datetime64[D]") - 1,
            bin_first=bin_first,
            bin_last=np.append(bin_first[1:] - 1, len(days) - 1),
        )

    @property
    def n_months(self) -> int:
        return len(self.month_first)

    def dates(self, day_index) -> np.ndarray:
        return (self.start + np.asarray(day_index, dtype="int64").astype("timedelta64[D]")).astype("datetime64[ns]")

    def signup_days(self, rng, n: int, decay: float, floor: float, growth: float = 1.0) -> np.ndarray:
        """Monthly cohorts, larger early in the window and in Jan/Sep/Nov (times the growth lever)."""
        m = np.arange(self.n_months)
        cal = self.calmonth_of_day[self.month_first]
        boost = np.select([cal == 0, cal == 8, cal == 10], [1.25, 1.1, 1.2], 1.0)
        w = (floor + (2.0 - floor) * np.exp(-m / decay)) * boost
        if growth != 1.0:
            w = w * growth ** (m / self.n_months)
        w = w * (self.month_last - self.month_first + 1)  # partial months weigh less
        month = rng.choice(self.n_months, size=n, p=w / w.sum())
        length = self.month_last[month] - self.month_first[month] + 1
        return self.month_first[month] + np.floor(rng.random(n) * length).astype(int)


# ---------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------
@dataclass
class _Life:
    signup: np.ndarray
    t0: np.ndarray  # day of the first order
    tE: np.ndarray  # end of exploration (days, float)
    tF: np.ndarray  # end of formation
    tD: np.ndarray  # start of the decline
    dD: np.ndarray  # length of the decline (days)
    churn_day: np.ndarray  # last day of the relationship (may lie after the window)
    last: np.ndarray  # last active day inside the window
    ended: np.ndarray  # churn_day inside the window
    pattern: np.ndarray  # codes into PATTERNS
    lamE: np.ndarray
    lamS: np.ndarray

    def level(self, idx: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Relationship level (orders per month) of customers ``idx`` at days ``T``."""
        tE, tF, tD = self.tE[idx], self.tF[idx], self.tD[idx]
        lamE, lamS = self.lamE[idx], self.lamS[idx]
        base = lamE + (lamS - lamE) * np.clip((T - tE) / (tF - tE), 0.0, 1.0)
        at_decline = lamE + (lamS - lamE) * np.clip((tD - tE) / (tF - tE), 0.0, 1.0)
        fall = np.clip(1.0 - (T - tD) / self.dD[idx], 0.0, 1.0)
        return np.where(T >= tD, at_decline * fall, base)

    def phase_at(self, idx: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Dwyer-Schurr-Oh phase codes (into PHASES) of customers ``idx`` at ``day``."""
        return np.select(
            [day < self.t0[idx], day >= self.tD[idx], day < self.tE[idx], day < self.tF[idx]],
            [0, 4, 1, 2],
            3,
        )


def _lifecycle(rng, win: _Window, signup, t0, lam_s, h, a, lam_e_max) -> _Life:
    n = len(signup)
    u = rng.random((n, 3))
    leave = np.where(
        u[:, 0] < _sigmoid(a[0] + h),
        0,
        np.where(u[:, 1] < _sigmoid(a[1] + h), 1, np.where(u[:, 2] < _sigmoid(a[2] + h), 2, 3)),
    )
    dE = rng.uniform(1, 3, n) * MONTH
    dF = rng.uniform(3, 8, n) * MONTH
    plateau = np.where(leave == 2, rng.uniform(1, 6, n), 12 + rng.exponential(14, n)) * MONTH
    dD = (
        np.choose(leave, [rng.uniform(0.75, 1.5, n), rng.uniform(2, 4, n), rng.uniform(2, 5, n), rng.uniform(2, 5, n)])
        * MONTH
    )
    frac = rng.random(n)
    tE = t0 + dE
    tF = tE + dF
    tD = np.choose(leave, [t0 + (0.4 + 0.6 * frac) * dE, tE + (0.25 + 0.5 * frac) * dF, tF + plateau, tF + plateau])
    churn_day = np.floor(tD + dD).astype(int)
    ended = churn_day <= win.n_days - 1
    last = np.minimum(churn_day, win.n_days - 1)
    lam_e = np.minimum(np.clip(0.3 * lam_s, 0.15, lam_e_max), lam_s)
    return _Life(signup, t0, tE, tF, tD, dD, churn_day, last, ended, np.where(ended, leave, 4), lam_e, lam_s)


def _first_order_days(rng, win: _Window, signup, p_same_day: float, mean_delay: float):
    delay = np.where(
        rng.random(len(signup)) < p_same_day, 0, np.ceil(rng.exponential(mean_delay, len(signup))).astype(int)
    )
    return np.minimum(signup + delay, win.n_days - 1)


def _ranges(first: np.ndarray, count: np.ndarray):
    """Flatten the integer ranges ``first[i] .. first[i] + count[i] - 1``: (owner i, value)."""
    count = np.maximum(count, 0)
    owner = np.repeat(np.arange(len(first)), count)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    return owner, first[owner] + offset


def _order_days(rng, win: _Window, life: _Life, season: np.ndarray):
    """Days of every order: the first on ``t0``, the rest Poisson in half-month bins.

    Only the bins in which a customer is active are visited. Returns
    (customer index, day) arrays, not yet sorted.
    """
    n = len(life.t0)
    first_bin = np.searchsorted(win.bin_last, life.t0)
    last_bin = np.searchsorted(win.bin_first, life.last, side="right") - 1
    ci, bi = _ranges(first_bin, last_bin - first_bin + 1)
    lo = np.maximum(win.bin_first[bi], life.t0[ci])
    width = np.minimum(win.bin_last[bi], life.last[ci]) - lo + 1
    mu = (
        life.level(ci, lo + width / 2.0)
        * (width / MONTH)
        * season[win.calmonth_of_day[lo]]
        * rng.gamma(16.0, 1 / 16.0, len(ci))
    )
    reps = rng.poisson(mu)
    cust = np.repeat(ci, reps)
    days = np.repeat(lo, reps) + np.floor(rng.random(len(cust)) * np.repeat(width, reps)).astype(int)
    return np.concatenate([np.arange(n), cust]), np.concatenate([life.t0, days])


def _orders(rng, win: _Window, life: _Life, season, cat_mix, chan_mix, own: tuple[float, float]):
    """Order events sorted by day and customer, each with a category and a channel.

    Each customer's category and channel mix is their group's mix (rows of
    ``cat_mix``/``chan_mix``, one per customer) blended with a personal
    Dirichlet draw of weight ``own``.
    """
    cust, day = _order_days(rng, win, life, season / season.mean())
    order = _sorted_events(cust, day)
    cust, day = cust[order], day[order]
    n = len(life.t0)
    blend = [rng.dirichlet(np.ones(mix.shape[1]), n) * w + mix * (1 - w) for mix, w in zip((cat_mix, chan_mix), own)]
    return cust, day, _pick(rng, blend[0], cust), _pick(rng, blend[1], cust)


def _sorted_events(cust: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Permutation sorting events by day, then customer, then generation order."""
    return np.lexsort((np.arange(len(cust)), cust, day))


def _phase_grid(win: _Window, life: _Life):
    """(customer, month) rows from the sign-up month to the month after churn, with phases."""
    m0 = win.month_of_day[life.signup]
    m1 = np.minimum(win.month_of_day[life.last] + life.ended.astype(int), win.n_months - 1)
    idx, month = _ranges(m0, m1 - m0 + 1)
    phase = life.phase_at(idx, win.month_last[month])
    return idx, month, phase


# ---------------------------------------------------------------------------
# Small helpers for building tables
# ---------------------------------------------------------------------------
def _ids(prefix: str, n: int, width: int) -> "pd.arrays.StringArray":
    import pandas as pd

    width = max(width, len(str(n)))
    return pd.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype="string")


def _cat(codes, categories) -> "pd.Categorical":
    import pandas as pd

    return pd.Categorical.from_codes(np.asarray(codes, dtype=int), categories=list(categories))


def _pick(rng, probs: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """One category code per row from per-row probability vectors ``probs[rows]``."""
    cum = np.cumsum(probs, axis=1)
    cum = cum[rows] if rows is not None else cum
    u = rng.random(len(cum)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)


def _money(x) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float), 2)


def _scale(rng, center, sd: float, lo: int, hi: int) -> np.ndarray:
    """Answers on a rating scale: ``center`` plus normal noise, rounded and clipped to lo..hi."""
    return np.clip(np.rint(center + rng.normal(0, sd, np.shape(center))), lo, hi).astype("int64")


def _truth_tables(win: _Window, life: _Life, key: str, ids, segment_codes, segments):
    import pandas as pd

    churn = win.dates(np.where(life.ended, life.churn_day, 0))
    churn = np.where(life.ended, churn, np.datetime64("NaT"))
    truth = pd.DataFrame(
        {
            key: ids,
            "true_segment": _cat(segment_codes, segments),
            "true_pattern": _cat(life.pattern, PATTERNS),
            "churn_date": pd.Series(churn, dtype="datetime64[ns]"),
            "purchase_rate": _money(life.lamS * 12),
        }
    )
    idx, month, phase = _phase_grid(win, life)
    phases = pd.DataFrame(
        {
            key: ids[idx],
            "month": win.month_end[month].astype("datetime64[ns]"),
            "phase": _cat(phase, PHASES),
        }
    )
    return truth, phases.reset_index(drop=True)


# ---------------------------------------------------------------------------
# Complaints and inquiries (shared by both scenarios)
# ---------------------------------------------------------------------------
@dataclass
class _Complaints:
    cust: np.ndarray
    hours: np.ndarray
    resolved: np.ndarray
    satisfaction: np.ndarray
    recovered: np.ndarray


def _complaints(rng, z: np.ndarray, base: float, lev: Levers | None = None) -> _Complaints:
    """Who complains (customer level) and how each complaint was handled."""
    lev = lev or Levers()
    n = len(z)
    complains = rng.random(n) < _sigmoid(base + lev.complaint_rate - 0.6 * z)
    count = complains * (1 + (rng.random(n) < 0.2))
    cust = np.repeat(np.arange(n), count)
    k = len(cust)
    q = lev.complaint_handling
    hours = np.maximum(np.exp(np.log(24.0) - q + rng.normal(0, 1.0, k)), 0.1)
    resolved = rng.random(k) < _sigmoid(1.35 + q - 0.35 * np.log(hours / 24.0))
    sat = np.where(
        resolved,
        (5.4 + 0.5 * q) + 0.5 * z[cust] - 0.35 * np.log(hours / 24.0) + rng.normal(0, 1.0, k),
        2.2 + 0.4 * z[cust] + rng.normal(0, 0.9, k),
    )
    sat = np.clip(np.rint(sat), 1, 7)
    return _Complaints(cust, _money(hours), resolved, sat, resolved & (sat >= 5))


def _recovery_effect(c: _Complaints, n: int, impact: float = 1.6) -> np.ndarray:
    """Churn-propensity shift: +1.6 (``impact``) after an unrecovered complaint, -0.3 if all were recovered."""
    unrecovered = np.bincount(c.cust[~c.recovered], minlength=n) > 0
    complained = np.bincount(c.cust, minlength=n) > 0
    return np.where(unrecovered, impact, np.where(complained, -0.3, 0.0))


def _interactions(
    rng, win: _Window, life: _Life, z, c: _Complaints, inquiry_rate: float, key: str, ids, prefix: str
) -> "pd.DataFrame":
    import pandas as pd

    n = len(z)
    # complaints: an unrecovered one shortly before the decline, the others any time in the relationship
    stop = np.minimum(np.floor(life.tD).astype(int), life.last)[c.cust]
    first = life.t0[c.cust]
    anyday = first + np.floor(rng.random(len(c.cust)) * (np.maximum(stop - first, 0) + 1)).astype(int)
    tipping = np.maximum(np.floor(life.tD[c.cust] - rng.uniform(0, 45, len(c.cust))).astype(int), first)
    pinned = ~c.recovered & (life.tD[c.cust] <= life.last[c.cust])
    c_day = np.minimum(np.where(pinned, tipping, anyday), life.last[c.cust])
    c_topic = rng.choice(5, len(c.cust), p=[0.32, 0.30, 0.12, 0.10, 0.16])

    # inquiries: Poisson over the whole contact span (sign-up to the last active day)
    span = life.last - life.signup + 1
    count = rng.poisson(inquiry_rate * span / MONTH)
    q_cust = np.repeat(np.arange(n), count)
    k = len(q_cust)
    q_day = life.signup[q_cust] + np.floor(rng.random(k) * span[q_cust]).astype(int)
    q_topic = rng.choice(5, k, p=[0.35, 0.15, 0.20, 0.05, 0.25])
    q_hours = _money(np.maximum(np.exp(np.log(3.0) + rng.normal(0, 1.1, k)), 0.1))
    q_resolved = rng.random(k) < 0.86
    q_sat = np.clip(np.rint(np.where(q_resolved, 5.6, 3.6) + 0.5 * z[q_cust] + rng.normal(0, 0.9, k)), 1, 7)
    q_sat = np.where(rng.random(k) < 0.12, np.nan, q_sat)  # no follow-up asked

    cust = np.concatenate([c.cust, q_cust])
    day = np.concatenate([c_day, q_day])
    order = _sorted_events(cust, day)
    kind = np.concatenate([np.ones(len(c.cust), int), np.zeros(k, int)])
    df = pd.DataFrame(
        {
            "interaction_id": _ids(prefix, len(cust), 6),
            key: ids[cust[order]],
            "date": win.dates(day[order]),
            "kind": _cat(kind[order], KINDS),
            "topic": _cat(np.concatenate([c_topic, q_topic])[order], TOPICS),
            "resolution_hours": np.concatenate([c.hours, q_hours])[order],
            "resolved": np.concatenate([c.resolved, q_resolved])[order],
            "satisfaction_after": np.concatenate([c.satisfaction, q_sat])[order],
        }
    )
    return df


# ---------------------------------------------------------------------------
# Retail
# ---------------------------------------------------------------------------
R_SEGMENTS = ["bargain hunters", "convenience seekers", "quality seekers", "family stockers"]
R_SEG_SHARE = [0.30, 0.25, 0.20, 0.25]
R_SEG_RATE = np.array([12.0, 22.0, 6.0, 15.0])  # orders per year at the plateau
R_SEG_SPEND = np.array([35.0, 30.0, 105.0, 70.0])  # typical order value
R_SEG_HAZARD = np.array([0.25, 0.10, -0.30, -0.10])
R_SEG_ATTITUDE = np.array([-0.3, -1.3, 1.0, 0.2])
R_CATEGORIES = ["household", "kitchen", "beauty", "apparel", "electronics", "toys"]
R_CAT_MARGIN = np.array([0.28, 0.34, 0.45, 0.42, 0.20, 0.36])
R_CAT_RETURN = np.array([0.02, 0.03, 0.02, 0.10, 0.06, 0.03])
R_CAT_VALUE = np.array([0.8, 1.1, 0.6, 1.1, 2.0, 0.9])
R_SEG_CATMIX = np.array(
    [
        [0.35, 0.15, 0.15, 0.20, 0.05, 0.10],
        [0.25, 0.10, 0.35, 0.15, 0.10, 0.05],
        [0.05, 0.20, 0.10, 0.25, 0.38, 0.02],
        [0.30, 0.25, 0.08, 0.10, 0.05, 0.22],
    ]
)
R_CHANNELS = ["store", "web", "app"]
R_SEG_CHANMIX = np.array([[0.30, 0.50, 0.20], [0.10, 0.30, 0.60], [0.60, 0.30, 0.10], [0.45, 0.40, 0.15]])
R_AGE = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
R_SEG_AGE = np.array(
    [
        [0.18, 0.26, 0.20, 0.16, 0.12, 0.08],
        [0.16, 0.34, 0.26, 0.14, 0.07, 0.03],
        [0.04, 0.14, 0.22, 0.26, 0.20, 0.14],
        [0.03, 0.25, 0.38, 0.22, 0.08, 0.04],
    ]
)
R_INCOME = ["low", "middle", "high"]
R_SEG_INCOME = np.array([[0.45, 0.45, 0.10], [0.20, 0.55, 0.25], [0.12, 0.48, 0.40], [0.25, 0.58, 0.17]])
R_SEG_FEMALE = np.array([0.55, 0.50, 0.45, 0.62])
R_ACQ = ["search", "social", "referral", "store", "email_list"]
R_ACQ_SHARE = [0.26, 0.24, 0.12, 0.25, 0.13]
R_ACQ_COST = np.array([40.0, 25.0, 15.0, 10.0, 8.0])
R_ACQ_HAZARD = np.array([0.0, 0.45, -0.5, -0.1, 0.15])
R_ACQ_SPEND = np.array([1.0, 0.9, 1.15, 1.0, 0.95])
R_ACQ_RATE = np.array([1.0, 0.9, 1.15, 1.05, 1.0])
R_SEASON = np.array([0.85, 0.90, 1.00, 1.00, 1.00, 0.90, 0.80, 0.85, 1.00, 1.05, 1.35, 1.60])
R_HAZARD_INTERCEPTS = (-1.2, -1.0, -0.85)

# SERVQUAL attributes: (attribute, dimension, mean expectation, mean gap, mean importance)
R_ATTRIBUTES = [
    ("clean stores", "tangibles", 5.4, 0.3, 4.2),
    ("website ease", "tangibles", 5.6, -0.2, 5.0),
    ("products as described", "reliability", 6.0, -0.3, 6.1),
    ("on-time delivery", "reliability", 6.2, -1.4, 6.3),
    ("quick answers", "responsiveness", 5.9, -1.1, 5.9),
    ("easy returns", "responsiveness", 5.7, -0.9, 5.6),
    ("staff friendliness", "assurance", 5.5, 0.2, 4.6),
    ("knowledgeable staff", "assurance", 5.6, -0.3, 5.0),
    ("personal offers", "empathy", 4.6, -0.2, 3.8),
    ("convenient opening hours", "empathy", 5.2, 0.0, 4.4),
]
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
# how much more (or less) each segment cares about each attribute
R_SEG_IMPORTANCE = np.array(
    [
        [0.0, 0.2, 0.0, 0.0, 0.0, 0.4, 0.0, -0.3, 1.5, 0.0],
        [-0.6, 1.0, 0.0, 0.5, 0.6, 0.0, -0.3, -0.3, 0.0, 0.5],
        [0.0, 0.0, 0.6, 0.0, 0.0, 0.0, 0.6, 1.2, -0.6, 0.0],
        [0.5, 0.0, 0.0, 0.0, 0.0, 0.6, 0.0, 0.0, 0.3, 0.8],
    ]
)


def _shares(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum() if not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-12) else weights


def _retail(rng_for, win: _Window, n: int, lev: Levers) -> dict:
    import pandas as pd

    rng = rng_for("customers")
    seg = rng.choice(
        4, n, p=R_SEG_SHARE if not lev.segment_mix else _shares(lev.per_name("segment_mix", R_SEGMENTS, R_SEG_SHARE))
    )
    signup = win.signup_days(rng, n, decay=12.0, floor=0.5, growth=lev.growth)
    region = rng.choice(5, n, p=[0.20, 0.22, 0.20, 0.18, 0.20])
    age = _pick(rng, R_SEG_AGE, seg)
    gender = (rng.random(n) >= R_SEG_FEMALE[seg]).astype(int)
    income = _pick(rng, R_SEG_INCOME, seg)
    mix = lev.per_name("channel_mix", R_ACQ, R_ACQ_SHARE)
    acq = rng.choice(5, n, p=R_ACQ_SHARE if not lev.channel_mix else _shares(mix))
    acq_cost = _money(
        R_ACQ_COST[acq] * lev.per_name("channel_cost", R_ACQ, np.ones(5))[acq] * rng.lognormal(0, 0.25, n)
    )
    business = rng.random(n) < 0.08
    z = rng.normal(0, 1, n) + lev.satisfaction

    c = lev.concentration
    seg_rate, seg_spend = R_SEG_RATE, R_SEG_SPEND
    if c != 1.0:  # segments also differ less (c < 1) or more (c > 1), around their geometric mean
        seg_rate, seg_spend = (
            np.exp(np.log(x).mean()) * (x / np.exp(np.log(x).mean())) ** c for x in (R_SEG_RATE, R_SEG_SPEND)
        )
    shape = 2.5 / min(c, 1.0)  # purchase rates within a segment: less spread for c < 1, as shipped above
    rate = (
        seg_rate[seg]
        * rng.gamma(shape, 1 / shape, n)
        * R_ACQ_RATE[acq]
        * np.where(business, 1.4, 1.0)
        * np.exp(0.1 * z)
    )
    sigma = 0.5 * c
    spend = (
        seg_spend[seg]
        * rng.lognormal(-(sigma**2) / 2, sigma, n)
        * R_ACQ_SPEND[acq]
        * np.where(business, 1.8, 1.0)
        * lev.price_level
    )

    comp = _complaints(rng_for("complaints"), z, base=-2.0, lev=lev)
    h = (
        R_SEG_HAZARD[seg]
        + R_ACQ_HAZARD[acq]
        - 0.6 * z
        - 0.2 * business
        + _recovery_effect(comp, n, lev.complaint_impact)
        + lev.churn
    )
    rng = rng_for("lifecycle")
    t0 = _first_order_days(rng, win, signup, p_same_day=0.55, mean_delay=20.0)
    life = _lifecycle(rng, win, signup, t0, rate / 12.0, h, R_HAZARD_INTERCEPTS, lam_e_max=0.8)

    ids = _ids("R", n, 5)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": win.dates(signup),
            "region": _cat(region, REGIONS),
            "age_band": _cat(age, R_AGE),
            "gender": _cat(gender, ["female", "male"]),
            "income_band": _cat(income, R_INCOME),
            "acquisition_channel": _cat(acq, R_ACQ),
            "acquisition_cost": acq_cost,
            "customer_type": _cat(business.astype(int), ["consumer", "business"]),
        }
    )

    # orders
    rng = rng_for("orders")
    cust, day, category, channel = _orders(
        rng, win, life, R_SEASON, R_SEG_CATMIX[seg], R_SEG_CHANMIX[seg], own=(0.25, 0.25)
    )
    k = len(cust)
    december = win.calmonth_of_day[day] == 11
    mu, sd = (
        (-0.08, 0.4) if lev.concentration >= 1 else (-((0.4 * lev.concentration) ** 2) / 2, 0.4 * lev.concentration)
    )
    amount = _money(
        np.maximum(spend[cust] * R_CAT_VALUE[category] * rng.lognormal(mu, sd, k) * np.where(december, 1.1, 1.0), 2.0)
    )
    margin = _money(amount * R_CAT_MARGIN[category] * rng.normal(1.0, 0.12, k))
    orders = pd.DataFrame(
        {
            "order_id": _ids("RO", k, 6),
            "customer_id": ids[cust],
            "order_date": win.dates(day),
            "amount": amount,
            "gross_margin": margin,
            "category": _cat(category, R_CATEGORIES),
            "channel": _cat(channel, R_CHANNELS),
            "returned": rng.random(k) < R_CAT_RETURN[category],
        }
    )

    interactions = _interactions(
        rng_for("interactions"), win, life, z, comp, inquiry_rate=0.05, key="customer_id", ids=ids, prefix="RI"
    )
    surveys, items = _retail_surveys(rng_for("surveys"), win, life, z, seg, rate, ids, lev)
    truth, phases = _truth_tables(win, life, "customer_id", ids, seg, R_SEGMENTS)
    return {
        "customers": customers,
        "orders": orders,
        "interactions": interactions,
        "surveys": surveys,
        "survey_items": items,
        "truth": truth,
        "truth_phases": phases,
    }


def _retail_surveys(rng, win: _Window, life: _Life, z, seg, rate, ids, lev: Levers | None = None):
    import pandas as pd

    n = len(z)
    span = life.last - life.t0 + 1
    answers = (rng.random(n) < 0.30) * (1 + ((rng.random(n) < 0.35) & (span >= 120)))
    cust = np.repeat(np.arange(n), answers)
    k = len(cust)
    lead = np.minimum(14, span[cust] - 1)
    day = life.t0[cust] + lead + np.floor(rng.random(k) * (span[cust] - lead)).astype(int)
    order = _sorted_events(cust, day)
    cust, day = cust[order], day[order]
    zc = z[cust]
    log_rate = np.log(rate)
    rate_std = ((log_rate - log_rate.mean()) / log_rate.std())[cust] if n > 1 else np.zeros(k)
    resp_ids = _ids("RS", k, 6)
    surveys = pd.DataFrame(
        {
            "response_id": resp_ids,
            "customer_id": ids[cust],
            "survey_date": win.dates(day),
            "overall_satisfaction": _scale(rng, 4.9 + 1.1 * zc, 0.7, 1, 7),
            "recommend": _scale(rng, 7.9 + 1.7 * zc, 1.1, 0, 10),
            "attitude": _scale(rng, 4.3 + 0.7 * zc + 0.5 * rate_std + R_SEG_ATTITUDE[seg[cust]], 0.7, 1, 7),
        }
    )

    n_attr = len(R_ATTRIBUTES)
    exp_mean = np.array([a[2] for a in R_ATTRIBUTES])
    gap_mean = (lev or Levers()).per_name(
        "attribute_gaps", [a[0] for a in R_ATTRIBUTES], np.zeros(len(R_ATTRIBUTES))
    ) + np.array([a[3] for a in R_ATTRIBUTES])
    imp_mean = np.array([a[4] for a in R_ATTRIBUTES])
    latent = exp_mean[None, :] + rng.normal(0, 0.5, (k, 1))
    expectation = _scale(rng, latent, 0.5, 1, 7)
    perception = _scale(rng, latent + gap_mean[None, :] + 0.45 * zc[:, None], 0.8, 1, 7)
    importance = _scale(rng, imp_mean[None, :] + R_SEG_IMPORTANCE[seg[cust]], 0.7, 1, 7)
    dim = np.array([DIMENSIONS.index(a[1]) for a in R_ATTRIBUTES])
    items = pd.DataFrame(
        {
            "response_id": resp_ids[np.repeat(np.arange(k), n_attr)],
            "attribute": _cat(np.tile(np.arange(n_attr), k), [a[0] for a in R_ATTRIBUTES]),
            "dimension": _cat(np.tile(dim, k), DIMENSIONS),
            "expectation": expectation.ravel(),
            "perception": perception.ravel(),
            "importance": importance.ravel(),
        }
    )
    return surveys, items


# ---------------------------------------------------------------------------
# B2B
# ---------------------------------------------------------------------------
B_INDUSTRIES = ["manufacturing", "construction", "healthcare", "hospitality", "education", "logistics"]
B_IND_SHARE = [0.28, 0.20, 0.14, 0.14, 0.10, 0.14]
B_IND_NOUNS = [
    ["Fabrication", "Metalworks", "Machining", "Plastics"],
    ["Builders", "Construction", "Contracting", "Roofing"],
    ["Clinics", "Care", "Medical", "Health"],
    ["Hotels", "Catering", "Hospitality", "Inns"],
    ["Academy", "College", "Schools", "Learning"],
    ["Logistics", "Freight", "Transport", "Warehousing"],
]
B_NAME_WORDS = [
    "Alder",
    "Apex",
    "Aster",
    "Beacon",
    "Birch",
    "Bluewater",
    "Brightline",
    "Cedar",
    "Cobalt",
    "Copperfield",
    "Crestview",
    "Delta",
    "Eastgate",
    "Elmstead",
    "Emberly",
    "Fairhaven",
    "Falcon",
    "Fernhill",
    "Granite",
    "Greystone",
    "Harbor",
    "Hawthorn",
    "Highland",
    "Ironbridge",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Larkspur",
    "Meridian",
    "Millbrook",
    "Northwind",
    "Oakridge",
    "Orion",
    "Pinecrest",
    "Quarry",
    "Redwood",
    "Riverbend",
    "Rockford",
    "Sablewood",
    "Silverline",
    "Southport",
    "Stonebridge",
    "Summit",
    "Thornbury",
    "Trident",
    "Valley",
    "Westbrook",
    "Willow",
]
B_NAME_FORMS = ["Ltd", "Group", "Co.", "Partners"]
B_SIZES = ["small", "medium", "large"]
B_SIZE_SHARE = [0.50, 0.35, 0.15]
B_SIZE_WALLET = np.array([15_000.0, 55_000.0, 200_000.0])  # median yearly category spend
EARLY_VISITS = 2.0  # sales visits are more frequent while an account is being won
WALLET_SIGMA = 0.4  # spread of wallets within a size band (lognormal)
B_SIZE_RATE = np.array([22.0, 48.0, 100.0])  # orders per year at the plateau
B_SIZE_VISITS = np.array([0.3, 1.0, 1.5])
B_MANAGERS = [
    "Alex Moreau",
    "Bea Lindqvist",
    "Chen Hao",
    "Dana Okafor",
    "Eli Novak",
    "Farah Haddad",
    "Gabe Santos",
    "Hana Kim",
]
B_MANAGER_VISITS = np.array([0.8, 1.3, 1.0, 0.9, 1.4, 0.7, 1.1, 1.0])
B_ACQ = ["field_sales", "trade_fair", "referral", "inbound"]
B_ACQ_SHARE = [0.35, 0.20, 0.20, 0.25]
B_ACQ_COST = np.array([2400.0, 1300.0, 600.0, 350.0])
B_ACQ_HAZARD = np.array([-0.1, 0.2, -0.4, 0.3])
B_SEGMENTS = ["price buyers", "service seekers", "relationship partners", "self-service buyers"]
B_SEG_SHARE = [0.30, 0.20, 0.25, 0.25]
B_SEG_MARGIN = np.array([0.80, 1.05, 1.0, 1.0])
B_SEG_VISITS = np.array([0.3, 4.0, 1.0, 0.1])  # sales visits per month
B_SEG_CALLS = np.array([0.5, 6.0, 1.0, 0.3])  # service calls per month
B_SEG_RUSH = np.array([0.04, 0.22, 0.06, 0.03])
B_SEG_SOW = np.array([0.30, 0.45, 0.60, 0.40])  # mean share of wallet at the plateau
B_SEG_HAZARD = np.array([0.3, 0.0, -0.5, 0.0])
B_CHANNELS = ["field_sales", "phone", "web_portal"]
B_SEG_CHANMIX = np.array([[0.15, 0.35, 0.50], [0.45, 0.45, 0.10], [0.50, 0.30, 0.20], [0.05, 0.15, 0.80]])
B_CATEGORIES = ["fasteners", "tools", "safety", "electrical", "cleaning", "packaging"]
B_CAT_MARGIN = np.array([0.32, 0.26, 0.28, 0.20, 0.24, 0.19])
B_IND_CATMIX = np.array(
    [
        [0.35, 0.25, 0.15, 0.15, 0.05, 0.05],
        [0.30, 0.30, 0.25, 0.10, 0.03, 0.02],
        [0.05, 0.05, 0.30, 0.10, 0.40, 0.10],
        [0.05, 0.05, 0.10, 0.10, 0.45, 0.25],
        [0.10, 0.10, 0.15, 0.30, 0.30, 0.05],
        [0.10, 0.10, 0.25, 0.05, 0.10, 0.40],
    ]
)
B_SEASON = np.array([0.95, 1.00, 1.05, 1.05, 1.05, 1.00, 0.90, 0.80, 1.05, 1.10, 1.05, 0.85])
B_HAZARD_INTERCEPTS = (-1.6, -1.4, -1.0)
# activity: (driver, department, minutes per driver unit)
B_ACTIVITIES = [
    ("sales_visit", "visits", "field sales", 120.0),
    ("service_call", "calls", "customer service", 15.0),
    ("rush_order", "orders", "order desk and warehouse", 45.0),
    ("return_handling", "returns", "customer service", 30.0),
    ("order_processing", "orders", "order desk and warehouse", 15.0),
]
# department: (cost per minute, share of practical capacity used on average)
B_DEPARTMENTS = {
    "field sales": (1.20, 0.80),
    "customer service": (1.00, 0.85),
    "order desk and warehouse": (0.90, 0.88),
}


def _account_names(rng, industry: np.ndarray) -> list[str]:
    """Fictional, unique company names built from word lists (one list of nouns per industry)."""
    names = [""] * len(industry)
    for ind, nouns in enumerate(B_IND_NOUNS):
        rows = np.flatnonzero(industry == ind)
        combos = [f"{w} {noun} {form}" for w in B_NAME_WORDS for noun in nouns for form in B_NAME_FORMS]
        pick = rng.permutation(len(combos))
        for j, row in enumerate(rows):
            base = combos[pick[j % len(combos)]]
            names[row] = base if j < len(combos) else f"{base} {j // len(combos) + 1}"
    return names


def _b2b(rng_for, win: _Window, n: int, lev: Levers) -> dict:
    import pandas as pd

    rng = rng_for("customers")
    seg = rng.choice(
        4, n, p=B_SEG_SHARE if not lev.segment_mix else _shares(lev.per_name("segment_mix", B_SEGMENTS, B_SEG_SHARE))
    )
    industry = rng.choice(6, n, p=B_IND_SHARE)
    size = rng.choice(3, n, p=B_SIZE_SHARE)
    signup = win.signup_days(rng, n, decay=9.0, floor=0.4, growth=lev.growth)
    region = rng.choice(5, n, p=[0.20, 0.22, 0.20, 0.18, 0.20])
    manager = rng.integers(0, len(B_MANAGERS), n)
    mix = lev.per_name("channel_mix", B_ACQ, B_ACQ_SHARE)
    acq = rng.choice(4, n, p=B_ACQ_SHARE if not lev.channel_mix else _shares(mix))
    acq_cost = _money(
        B_ACQ_COST[acq]
        * lev.per_name("channel_cost", B_ACQ, np.ones(4))[acq]
        * np.array([1.0, 1.3, 2.0])[size]
        * rng.lognormal(0, 0.3, n)
    )
    names = _account_names(rng, industry)
    z = rng.normal(0, 1, n) + lev.satisfaction
    rate = B_SIZE_RATE[size] * rng.gamma(4.0, 0.25, n)
    wallet0 = B_SIZE_WALLET[size] * rng.lognormal(0, WALLET_SIGMA * lev.concentration, n) * lev.price_level
    growth = rng.normal(0.02, 0.05, n)
    sow_mean = np.clip(B_SEG_SOW + lev.share_of_wallet, 0.02, 0.98)[seg]
    sow = 0.05 + 0.85 * rng.beta(4 * sow_mean, 4 * (1 - sow_mean))

    comp = _complaints(rng_for("complaints"), z, base=-2.2, lev=lev)
    h = B_SEG_HAZARD[seg] + B_ACQ_HAZARD[acq] - 0.6 * z + _recovery_effect(comp, n, lev.complaint_impact) + lev.churn
    rng = rng_for("lifecycle")
    t0 = _first_order_days(rng, win, signup, p_same_day=0.15, mean_delay=25.0)
    life = _lifecycle(rng, win, signup, t0, rate / 12.0, h, B_HAZARD_INTERCEPTS, lam_e_max=1.0)

    ids = _ids("B", n, 4)
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "account_name": pd.array(names, dtype="string"),
            "signup_date": win.dates(signup),
            "industry": _cat(industry, B_INDUSTRIES),
            "size_band": _cat(size, B_SIZES),
            "region": _cat(region, REGIONS),
            "account_manager": _cat(manager, B_MANAGERS),
            "acquisition_channel": _cat(acq, B_ACQ),
            "acquisition_cost": acq_cost,
        }
    )

    # the account's own business: a yearly category spend drifting a few percent a year
    rng = rng_for("wallets")
    years = np.arange(win.year_of_day[0], win.year_of_day[-1] + 1)
    steps = 1 + growth[:, None] + rng.normal(0, 0.03, (n, len(years)))
    spend_by_year = wallet0[:, None] * np.cumprod(steps, axis=1) / steps[:, :1]

    # orders: count follows the lifecycle; value = share of this year's wallet per plateau order
    rng = rng_for("orders")
    cust, day, category, channel = _orders(
        rng, win, life, B_SEASON, B_IND_CATMIX[industry], B_SEG_CHANMIX[seg], own=(0.3, 0.2)
    )
    k = len(cust)
    rush_mean = np.clip(B_SEG_RUSH * lev.cost_to_serve, 0.005, 0.9)[seg]
    p_rush = rng.beta(2.0, 2.0 * (1 - rush_mean) / rush_mean)
    p_return = rng.beta(2.0, 2.0 * 0.97 / 0.03, n)
    year = win.year_of_day[day] - years[0]
    per_order = sow[cust] * spend_by_year[cust, year] / rate[cust]
    amount = _money(np.maximum(per_order * rng.lognormal(-0.18, 0.6, k), 5.0))
    margin = _money(amount * B_CAT_MARGIN[category] * B_SEG_MARGIN[seg[cust]] * rng.normal(1.0, 0.08, k))
    rush = rng.random(k) < p_rush[cust]
    returned = rng.random(k) < p_return[cust]
    orders = pd.DataFrame(
        {
            "order_id": _ids("BO", k, 6),
            "account_id": ids[cust],
            "order_date": win.dates(day),
            "amount": amount,
            "gross_margin": margin,
            "category": _cat(category, B_CATEGORIES),
            "channel": _cat(channel, B_CHANNELS),
            "rush": rush,
            "returned": returned,
        }
    )

    # wallets: from the sign-up year on; an estimate never below our own sales (share <= 90%)
    ours = np.bincount(cust * len(years) + year, weights=amount, minlength=n * len(years)).reshape(n, -1)
    first_year = win.year_of_day[signup] - years[0]
    w_cust, w_year = np.nonzero(np.arange(len(years))[None, :] >= first_year[:, None])
    wallet = np.maximum(spend_by_year, ours / 0.9)[w_cust, w_year]
    wallets = pd.DataFrame(
        {
            "account_id": ids[w_cust],
            "year": years[w_year].astype("int64"),
            "category_spend": _money(np.ceil(wallet * 100) / 100),
        }
    )

    activities, used = _b2b_activities(
        rng_for("activities"), win, life, seg, size, manager, cust, day, rush, returned, ids, lev.cost_to_serve
    )
    utilisation = lev.per_name("capacity", list(B_DEPARTMENTS), [u for _, u in B_DEPARTMENTS.values()])
    rates, capacity = _abc_rates(used, years_in_window=win.n_days / 365.25, utilisation=utilisation)
    interactions = _interactions(
        rng_for("interactions"), win, life, z, comp, inquiry_rate=0.06, key="account_id", ids=ids, prefix="BI"
    )
    truth, phases = _truth_tables(win, life, "account_id", ids, seg, B_SEGMENTS)
    return {
        "accounts": accounts,
        "orders": orders,
        "wallets": wallets,
        "activities": activities,
        "activity_rates": rates,
        "capacity": capacity,
        "interactions": interactions,
        "truth": truth,
        "truth_phases": phases,
    }


def _b2b_activities(
    rng, win: _Window, life: _Life, seg, size, manager, o_cust, o_day, rush, returned, ids, cost_to_serve: float = 1.0
):
    """Monthly activity batches per account; also the total driver units of each activity."""
    import pandas as pd

    n, n_m = len(seg), win.n_months
    # months in which the account is with us (sign-up to last active day), and the days in each
    first = np.maximum(win.month_first[None, :], life.signup[:, None])
    last = np.minimum(win.month_last[None, :], life.last[:, None])
    days = np.maximum(last - first + 1, 0)
    frac = days / MONTH
    # more visits while the account is being won (awareness, exploration)
    early = life.tE[:, None] > win.month_first[None, :]
    demand = rng.lognormal(-0.125, 0.5, n)  # how demanding the account is, beyond its segment
    visit_rate = B_SEG_VISITS[seg] * B_SIZE_VISITS[size] * B_MANAGER_VISITS[manager] * demand * cost_to_serve
    visits = rng.poisson(visit_rate[:, None] * frac * np.where(early, EARLY_VISITS, 1.0))
    calls = rng.poisson((B_SEG_CALLS[seg] * demand * cost_to_serve)[:, None] * frac)
    cell = o_cust * n_m + win.month_of_day[o_day]

    def per_month(mask):
        return np.bincount(cell[mask], minlength=n * n_m).reshape(n, n_m)

    counts = np.stack(
        [visits, calls, per_month(rush), per_month(returned), per_month(np.ones(len(cell), bool))], axis=2
    )  # (n, months, activity)
    a_cust, a_month, a_act = np.nonzero(counts)
    a_day = np.minimum(win.month_last[a_month], life.last[a_cust])
    order = np.lexsort((a_act, a_cust, a_day))
    a_cust, a_month, a_act, a_day = a_cust[order], a_month[order], a_act[order], a_day[order]
    activities = pd.DataFrame(
        {
            "activity_id": _ids("BA", len(a_cust), 6),
            "account_id": ids[a_cust],
            "date": win.dates(a_day),
            "activity": _cat(a_act, [a[0] for a in B_ACTIVITIES]),
            "quantity": counts[a_cust, a_month, a_act].astype("int64"),
        }
    )
    return activities, counts.sum(axis=(0, 1))


def _abc_rates(used: np.ndarray, years_in_window: float, utilisation=None):
    """Activity rates (ABC and TDABC) and department capacity from the driver units performed."""
    import pandas as pd

    minutes = np.array([a[3] for a in B_ACTIVITIES])
    dept_of = [a[2] for a in B_ACTIVITIES]
    use = dict(zip(B_DEPARTMENTS, [u for _, u in B_DEPARTMENTS.values()] if utilisation is None else utilisation))
    rows = []
    for dept, (per_minute, _) in B_DEPARTMENTS.items():
        utilisation = use[dept]
        used_minutes = sum(used[i] * minutes[i] for i, d in enumerate(dept_of) if d == dept) / years_in_window
        practical = float(np.round(max(used_minutes, 1.0) / utilisation))
        rows.append((dept, _money(practical * per_minute).item(), practical))
    capacity = pd.DataFrame(rows, columns=["department", "annual_cost", "practical_minutes"])
    capacity["department"] = capacity["department"].astype("string")
    unit_cost = [_money(B_DEPARTMENTS[d][0] * m / use[d]).item() for d, m in zip(dept_of, minutes)]
    rates = pd.DataFrame(
        {
            "activity": pd.array([a[0] for a in B_ACTIVITIES], dtype="string"),
            "driver": pd.array([a[1] for a in B_ACTIVITIES], dtype="string"),
            "department": pd.array(dept_of, dtype="string"),
            "unit_cost": np.array(unit_cost, dtype=float),
            "unit_minutes": minutes,
        }
    )
    return rates, capacity


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------
def generate_tables(
    name: str,
    *,
    n_customers: int,
    seed: int,
    start: str = "2022-01-01",
    end: str = "2024-12-31",
    profile=None,
) -> dict[str, "pd.DataFrame"]:
    """Every table of a synthetic scenario, drawn from a seed.

    Parameters
    ----------
    name : ``"retail"`` or ``"b2b"``.
    n_customers : number of customers (retail) or accounts (b2b).
    seed : seed of numpy's ``default_rng``; the same arguments give the same tables.
    start, end : the observation window as ISO dates; ``end`` must come after ``start``.
    profile : the firm's behavioural levers (:class:`Levers`, or a mapping of them); ``None`` for
        the shipped model. Levers at their defaults give the same tables as ``None``.

    Returns
    -------
    ``{table: DataFrame}`` in the order and with the columns and dtypes of
    :mod:`crmlab._schema`, each sorted by its key (events by date, then id).

    Examples
    --------
    >>> t = generate_tables("b2b", n_customers=20, seed=1)
    >>> list(t)[:3]
    ['accounts', 'orders', 'wallets']
    >>> t["accounts"]["account_id"].iloc[-1]
    'B0020'
    >>> bool((t["orders"]["amount"] >= 0).all())
    True
    """
    if name not in ("retail", "b2b"):
        raise ValueError(f"no generated dataset {name!r}; choose 'retail' or 'b2b'.")
    win = _Window.of(start, end)
    root = np.random.SeedSequence([int(seed), 0 if name == "retail" else 1])
    streams = dict(
        zip(
            ["customers", "complaints", "lifecycle", "orders", "wallets", "activities", "interactions", "surveys"],
            root.spawn(8),
        )
    )

    def rng_for(part: str) -> np.random.Generator:
        return np.random.default_rng(streams[part])

    lev = Levers.of(profile)
    return _retail(rng_for, win, n_customers, lev) if name == "retail" else _b2b(rng_for, win, n_customers, lev)
