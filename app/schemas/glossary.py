"""What each field name means wherever it appears, said once: the OpenAPI document gives
these to every property a model leaves undescribed (a model describes a field itself
where it means something more particular there)."""

GLOSSARY: dict[str, str] = {
    # keys
    "id": "The resource's id, never reused.",
    "slug": "The course's slug, its id in URLs (`basic-sro`).",
    "course": "The course's slug.",
    "name": "The course's name.",
    "figure_id": "The figure's id.",
    "source_id": "The id of the source the figure came from (`/api/v1/sources/{id}`).",
    # courses
    "description": "What the course is.",
    "audience": "Who the course is for.",
    "first_offered_year": "The year the course was first taught; none of its figures may be "
    "earlier, and its months before that year count as zero completions.",
    "created_at": "When it was added (UTC).",
    "updated_at": "When it last changed (UTC).",
    # periods and figures
    "year": "A calendar year.",
    "start_month": "The period's first month, 1–12.",
    "end_month": "The period's last month, 1–12.",
    "period": "The months as an ISO 8601 interval: `2019-01/2019-08`.",
    "period_label": "The months for people: `Jan–Aug 2019`, `2018` for a whole year.",
    "completions": "People who completed the course in the period, 0–10,000,000.",
    "status": "`final`, or `provisional` while it may still change.",
    "note": "A footnote to the figure.",
    "revision": "The figure's revision number, 1 when first recorded.",
    "recorded_at": "When the service recorded this value (UTC, to the microsecond).",
    # totals and comparisons
    "total": "Completions summed without double counting (R5; R6 across courses).",
    "months_covered": "Months of the year the total covers.",
    "complete": "True when all 12 months are covered.",
    "months_label": "The months covered, for people: `Jan–Aug`.",
    "from_total": "The `from` year's total (R5 for a course, R6 for several).",
    "to_total": "The `to` year's total.",
    "from_months": "Months the `from` year's total covers.",
    "to_months": "Months the `to` year's total covers.",
    "change_same_months": "to_total − from_same_months_total, when that is known.",
    "change_same_months_pct": "change_same_months / from_same_months_total × 100, one decimal.",
    "courses": "Each course's total for the year, in the order courses were added.",
    "items": "The list's items, in order.",
    # rolling windows
    "available": "Whether the figures determine the window's total exactly.",
    "previous_available": "Whether they determine the previous window's total exactly.",
    "previous_reason": "Why the figures do not determine the previous window's total.",
    "previous_parts": "What the previous window's total adds up, in month order.",
    "months": "The window's length in months.",
    "previous_start": "First month of the same window a year earlier, `YYYY-MM`.",
    "previous_end": "Last month of the same window a year earlier, `YYYY-MM`.",
    # sources
    "title": "The publication's title.",
    "publisher": "Who published it.",
    "place": "Where it was published.",
    "url": "Where it can be read.",
    "notes": "Anything else worth knowing about it.",
    # imports
    "rows": "Rows read.",
    "created": "Figures created.",
    "revised": "Figures revised (upsert).",
    "unchanged": "Rows equal to the figure stored (upsert).",
    # audit
    "at": "When the change was made (UTC).",
    "actor": "The name of the key that made it.",
    "key_prefix": "The key's public prefix (never the key).",
    "action": "What was done: `figure.create`, `figure.update`, `course.delete`, ….",
    "resource": "The path of what changed.",
    "before": "Its values before the change; null for a creation.",
    "after": "Its values after the change; null for a deletion.",
    # problems (RFC 9457)
    "type": "A URI reference naming the kind of problem.",
    "detail": "What went wrong, for people.",
    "instance": "The path of the request that failed.",
    "errors": "Each invalid field and what is wrong with it.",
    "field": "The field (or query parameter, or `row.field` in an import).",
    "message": "What is wrong with it.",
}
