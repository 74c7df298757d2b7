"""The customer information base (客户信息库): every shipped table and column.

This is the single source of the data dictionary. ``datasets/README.md`` is
generated from it (``crmlab datasets build``), :func:`crmlab.datasets.load`
uses it to give each column its dtype, and ``crmlab.datasets.describe`` prints it.

Each column is ``(kind, dtype, unit, meaning)``: *kind* is the validation kind of
:mod:`crmlab._validate`, *dtype* the pandas dtype after loading ("string",
"datetime64[ns]", "category", "float64", "int64", "Int64", "bool").
"""

from __future__ import annotations

from typing import Any

Column = tuple[str, str, str, str]

CURRENCY = "currency units"

RETAIL: dict[str, Any] = {
    "story": (
        "A B2C retailer of household and lifestyle goods with shops, a website and an app. "
        "Three years of history (2022-01-01 to 2024-12-31) for a few thousand customers: who they "
        "are, what they bought, when they called or complained, and what they said in surveys. "
        "Synthetic, generated from a seed; the generator's latent truth (each customer's true "
        "needs segment, lifecycle pattern, relationship phase and churn date) is kept in the "
        "`truth` and `truth_phases` tables so you can check whether a method recovers it."
    ),
    "as_of": "2024-12-31",
    "tables": {
        "customers": {
            "key": "customer_id",
            "about": "One row per customer (the customer profile).",
            "columns": {
                "customer_id": ("id", "string", "", "customer identifier, e.g. 'R00042'"),
                "signup_date": ("datetime", "datetime64[ns]", "date", "date of the first contact / sign-up"),
                "region": ("category", "category", "", "North, East, South, West, Central"),
                "age_band": ("category", "category", "years", "18-24, 25-34, 35-44, 45-54, 55-64, 65+"),
                "gender": ("category", "category", "", "female, male"),
                "income_band": ("category", "category", "", "low, middle, high"),
                "acquisition_channel": ("category", "category", "", "search, social, referral, store, email_list"),
                "acquisition_cost": ("nonneg", "float64", CURRENCY, "what the firm spent to win this customer"),
                "customer_type": ("category", "category", "", "consumer or business (small firms buying at retail)"),
            },
        },
        "orders": {
            "key": "order_id",
            "about": "One row per order (purchase occasion). Amounts are net of discounts and never negative; a return is flagged, not subtracted.",
            "columns": {
                "order_id": ("id", "string", "", "order identifier"),
                "customer_id": ("id", "string", "", "who ordered (customers.customer_id)"),
                "order_date": ("datetime", "datetime64[ns]", "date", "day of the order"),
                "amount": ("nonneg", "float64", CURRENCY, "order value paid by the customer"),
                "gross_margin": ("number", "float64", CURRENCY, "amount minus cost of goods"),
                "category": ("category", "category", "", "main product category of the order"),
                "channel": ("category", "category", "", "store, web, app"),
                "returned": ("bool", "bool", "", "True if the order was returned and refunded"),
            },
        },
        "interactions": {
            "key": "interaction_id",
            "about": "Service contacts: inquiries and complaints.",
            "columns": {
                "interaction_id": ("id", "string", "", "contact identifier"),
                "customer_id": ("id", "string", "", "who contacted us"),
                "date": ("datetime", "datetime64[ns]", "date", "day of the contact"),
                "kind": ("category", "category", "", "inquiry or complaint"),
                "topic": ("category", "category", "", "delivery, product quality, billing, staff, website"),
                "resolution_hours": ("nonneg", "float64", "hours", "time until the case was closed"),
                "resolved": ("bool", "bool", "", "True if the customer's problem was solved"),
                "satisfaction_after": (
                    "number",
                    "float64",
                    "1-7 scale",
                    "satisfaction with the handling (1 very dissatisfied .. 7 very satisfied)",
                ),
            },
        },
        "surveys": {
            "key": "response_id",
            "about": "One row per survey response (a customer may answer more than once).",
            "columns": {
                "response_id": ("id", "string", "", "response identifier"),
                "customer_id": ("id", "string", "", "who answered"),
                "survey_date": ("datetime", "datetime64[ns]", "date", "day of the answer"),
                "overall_satisfaction": ("number", "int64", "1-7 scale", "overall satisfaction"),
                "recommend": ("number", "int64", "0-10 scale", "likelihood to recommend (for NPS)"),
                "attitude": ("number", "int64", "1-7 scale", "relative attitude toward the brand versus alternatives"),
            },
        },
        "survey_items": {
            "key": ["response_id", "attribute"],
            "about": "Per-attribute answers of each survey response (expectation, perception, importance).",
            "columns": {
                "response_id": ("id", "string", "", "surveys.response_id"),
                "attribute": ("category", "category", "", "service attribute asked about"),
                "dimension": (
                    "category",
                    "category",
                    "",
                    "SERVQUAL dimension: tangibles, reliability, responsiveness, assurance, empathy",
                ),
                "expectation": ("number", "int64", "1-7 scale", "what the customer expected"),
                "perception": ("number", "int64", "1-7 scale", "what the customer experienced"),
                "importance": ("number", "int64", "1-7 scale", "how much the attribute matters to the customer"),
            },
        },
        "truth": {
            "key": "customer_id",
            "about": "Latent truth kept by the generator (not observable in practice).",
            "columns": {
                "customer_id": ("id", "string", "", "customers.customer_id"),
                "true_segment": ("category", "category", "", "needs segment the customer was drawn from"),
                "true_pattern": (
                    "category",
                    "category",
                    "",
                    "lifecycle pattern: A (ended in exploration), B (formation), C (early stability), D (late stability), active",
                ),
                "churn_date": (
                    "datetime",
                    "datetime64[ns]",
                    "date",
                    "day the relationship ended (empty if still active)",
                ),
                "purchase_rate": (
                    "nonneg",
                    "float64",
                    "orders per year",
                    "the customer's latent purchase rate while active",
                ),
            },
        },
        "truth_phases": {
            "key": ["customer_id", "month"],
            "about": "Latent relationship phase of each customer at each month end (Dwyer, Schurr & Oh 1987).",
            "columns": {
                "customer_id": ("id", "string", "", "customers.customer_id"),
                "month": ("datetime", "datetime64[ns]", "date", "month end"),
                "phase": ("category", "category", "", "awareness, exploration, expansion, commitment, dissolution"),
            },
        },
    },
}

B2B: dict[str, Any] = {
    "story": (
        "A distributor of industrial supplies selling to a few hundred business accounts, each "
        "looked after by an account manager. Three years of orders (2022-01-01 to 2024-12-31), each "
        "account's estimated total yearly spend on the category (its wallet), and the activities "
        "that drive the cost to serve it (sales visits, service calls, rush orders, returns). "
        "Synthetic, generated from a seed, with latent truth in `truth` and `truth_phases`."
    ),
    "as_of": "2024-12-31",
    "tables": {
        "accounts": {
            "key": "account_id",
            "about": "One row per business account.",
            "columns": {
                "account_id": ("id", "string", "", "account identifier, e.g. 'B0042'"),
                "account_name": ("id", "string", "", "company name (fictional)"),
                "signup_date": ("datetime", "datetime64[ns]", "date", "date the account was opened"),
                "industry": (
                    "category",
                    "category",
                    "",
                    "manufacturing, construction, healthcare, hospitality, education, logistics",
                ),
                "size_band": ("category", "category", "employees", "small (<50), medium (50-249), large (250+)"),
                "region": ("category", "category", "", "North, East, South, West, Central"),
                "account_manager": ("category", "category", "", "name of the responsible account manager"),
                "acquisition_channel": ("category", "category", "", "field_sales, trade_fair, referral, inbound"),
                "acquisition_cost": ("nonneg", "float64", CURRENCY, "what the firm spent to win the account"),
            },
        },
        "orders": {
            "key": "order_id",
            "about": "One row per order. Amounts are never negative; a return is flagged.",
            "columns": {
                "order_id": ("id", "string", "", "order identifier"),
                "account_id": ("id", "string", "", "accounts.account_id"),
                "order_date": ("datetime", "datetime64[ns]", "date", "day of the order"),
                "amount": ("nonneg", "float64", CURRENCY, "invoice value"),
                "gross_margin": ("number", "float64", CURRENCY, "amount minus cost of goods"),
                "category": ("category", "category", "", "product category"),
                "channel": ("category", "category", "", "field_sales, phone, web_portal"),
                "rush": ("bool", "bool", "", "True for an expedited (rush) order"),
                "returned": ("bool", "bool", "", "True if goods were returned"),
            },
        },
        "wallets": {
            "key": ["account_id", "year"],
            "about": "Each account's estimated total spend on the category per year, with all suppliers (its wallet).",
            "columns": {
                "account_id": ("id", "string", "", "accounts.account_id"),
                "year": ("number", "int64", "year", "calendar year"),
                "category_spend": ("nonneg", "float64", CURRENCY + " per year", "estimated total category spend"),
            },
        },
        "activities": {
            "key": "activity_id",
            "about": "Cost-driving activities performed for each account (one row per occurrence batch).",
            "columns": {
                "activity_id": ("id", "string", "", "activity identifier"),
                "account_id": ("id", "string", "", "accounts.account_id"),
                "date": ("datetime", "datetime64[ns]", "date", "day of the activity"),
                "activity": (
                    "category",
                    "category",
                    "",
                    "sales_visit, service_call, rush_order, return_handling, order_processing",
                ),
                "quantity": (
                    "positive",
                    "int64",
                    "driver units",
                    "number of driver units (visits, calls, orders, returns)",
                ),
            },
        },
        "activity_rates": {
            "key": "activity",
            "about": "Cost per driver unit of each activity (activity-based costing) and the minutes it takes (time-driven ABC).",
            "columns": {
                "activity": ("category", "string", "", "activity name (activities.activity)"),
                "driver": ("category", "string", "", "what is counted: visits, calls, orders, returns"),
                "department": ("id", "string", "", "the department (table capacity) that performs the activity"),
                "unit_cost": ("nonneg", "float64", CURRENCY + " per driver unit", "conventional ABC cost rate"),
                "unit_minutes": ("nonneg", "float64", "minutes per driver unit", "time one unit takes (TDABC)"),
            },
        },
        "capacity": {
            "key": "department",
            "about": "Resources behind the activities, for time-driven ABC (Kaplan & Anderson 2004).",
            "columns": {
                "department": ("id", "string", "", "the resource pool"),
                "annual_cost": ("nonneg", "float64", CURRENCY + " per year", "cost of the capacity supplied"),
                "practical_minutes": ("positive", "float64", "minutes per year", "practical capacity"),
            },
        },
        "interactions": {
            "key": "interaction_id",
            "about": "Service contacts: inquiries and complaints from accounts.",
            "columns": {
                "interaction_id": ("id", "string", "", "contact identifier"),
                "account_id": ("id", "string", "", "accounts.account_id"),
                "date": ("datetime", "datetime64[ns]", "date", "day of the contact"),
                "kind": ("category", "category", "", "inquiry or complaint"),
                "topic": ("category", "category", "", "delivery, product quality, billing, staff, website"),
                "resolution_hours": ("nonneg", "float64", "hours", "time until the case was closed"),
                "resolved": ("bool", "bool", "", "True if the problem was solved"),
                "satisfaction_after": ("number", "float64", "1-7 scale", "satisfaction with the handling"),
            },
        },
        "truth": {
            "key": "account_id",
            "about": "Latent truth kept by the generator.",
            "columns": {
                "account_id": ("id", "string", "", "accounts.account_id"),
                "true_segment": ("category", "category", "", "needs segment"),
                "true_pattern": ("category", "category", "", "A, B, C, D or active (see retail)"),
                "churn_date": ("datetime", "datetime64[ns]", "date", "day the relationship ended (empty if active)"),
                "purchase_rate": ("nonneg", "float64", "orders per year", "latent purchase rate while active"),
            },
        },
        "truth_phases": {
            "key": ["account_id", "month"],
            "about": "Latent relationship phase of each account at each month end.",
            "columns": {
                "account_id": ("id", "string", "", "accounts.account_id"),
                "month": ("datetime", "datetime64[ns]", "date", "month end"),
                "phase": ("category", "category", "", "awareness, exploration, expansion, commitment, dissolution"),
            },
        },
    },
}

CDNOW: dict[str, Any] = {
    "story": (
        "Real data: the CDNOW sample of Fader, Hardie & Lee (2005). 2,357 customers who made their "
        "first purchase at CDNOW, an online music retailer, in the first quarter of 1997, with every "
        "purchase until the end of June 1998. The classic data set for BG/NBD and Gamma-Gamma models."
    ),
    "as_of": "1998-06-30",
    "tables": {
        "orders": {
            "key": None,
            "about": "One row per purchase record (a customer can have several on one day).",
            "columns": {
                "customer_id": ("id", "string", "", "customer id in the sample, '0001'..'2357'"),
                "order_date": ("datetime", "datetime64[ns]", "date", "day of the purchase"),
                "quantity": ("nonneg", "int64", "CDs", "number of CDs bought"),
                "amount": ("nonneg", "float64", "US dollars", "value of the purchase"),
            },
        },
    },
}

DONATIONS: dict[str, Any] = {
    "story": (
        "Real data: the repeat-donation patterns of Fader, Hardie & Shang (2010). 11,104 first-time "
        "supporters of a US non-profit in 1995, each observed at the 6 yearly donation opportunities "
        "1996-2001; customers with the same history are pooled in 22 patterns. The classic data set "
        "for the discrete-time BG/BB model."
    ),
    "as_of": "2001-12-31",
    "source": (
        "\n### Source and terms\n"
        "Real data, not generated (`crmlab datasets build` leaves it alone). The donation data of Fader, "
        'Hardie & Shang (2010), "Customer-Base Analysis in a Discrete-Time Noncontractual Setting", '
        "*Marketing Science* 29(6), 1086-1108, as distributed by Bruce Hardie for teaching and research; "
        "this copy is the file shipped in the MIT-licensed `lifetimes` 0.11.3 package "
        "(`lifetimes/datasets/donations.csv`), unchanged. Published results on it: BG/BB "
        "alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783, log-likelihood -33,225.6. "
        'Fit it with `crmlab.bgbb.fit_bgbb(ds.patterns, weights="weights")`. There is no personal '
        "version: `student_id=...` loads the same patterns.\n"
    ),
    "tables": {
        "patterns": {
            "key": ["frequency", "recency"],
            "about": "One row per donation history (pattern); `weights` donors share it.",
            "columns": {
                "frequency": ("nonneg", "int64", "donations", "repeat donations in 1996-2001 (0-6)"),
                "recency": (
                    "nonneg",
                    "int64",
                    "opportunity",
                    "opportunity (1-6 = 1996-2001) of the last repeat donation; 0 if none",
                ),
                "periods": ("nonneg", "int64", "opportunities", "donation opportunities observed (6 for everyone)"),
                "weights": ("nonneg", "int64", "donors", "number of donors with this history"),
            },
        },
    },
}

DATASETS = {"retail": RETAIL, "b2b": B2B, "cdnow": CDNOW, "donations": DONATIONS}
GENERATED = ("retail", "b2b")
