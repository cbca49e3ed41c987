"""The 社会认可度 survey of the county assessment: formulas (sample plan, rate, verdict), selectors,
services, the bureau's and the public pages (views) and the API. Its models stay in
assessment/models.py."""
