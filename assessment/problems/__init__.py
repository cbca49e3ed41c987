"""The problem list (问题清单) of the county assessment: the sync from the findings, selectors,
services, pages (views) and the API. Its model stays in assessment/models.py."""
