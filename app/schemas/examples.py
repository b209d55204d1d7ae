"""The examples the OpenAPI document shows for each statistics answer (seed data), kept
apart from the models they illustrate."""

from typing import Any

YEAR_LIST: dict[str, Any] = {
    "items": [
        {
            "year": 2018,
            "total": 3950,
            "months_covered": 12,
            "complete": True,
            "months_label": "Jan–Dec",
        },
        {
            "year": 2019,
            "total": 6730,
            "months_covered": 8,
            "complete": False,
            "months_label": "Jan–Aug",
        },
    ]
}

YEAR_DETAIL: dict[str, Any] = {
    "year": 2019,
    "total": 6730,
    "months_covered": 8,
    "complete": False,
    "months_label": "Jan–Aug",
    "courses": [
        {
            "course": "basic-sro",
            "name": "Basic SRO",
            "total": 2516,
            "months_covered": 8,
            "complete": False,
            "months_label": "Jan–Aug",
        }
    ],
}

SERIES: dict[str, Any] = {
    "course": "adolescent-mental-health",
    "name": "Adolescent Mental Health",
    "items": [
        {
            "year": 2018,
            "total": 871,
            "months_covered": 12,
            "complete": True,
            "months_label": "Jan–Dec",
        },
        {
            "year": 2019,
            "total": 3167,
            "months_covered": 8,
            "complete": False,
            "months_label": "Jan–Aug",
        },
    ],
}

CHANGES: dict[str, Any] = {
    "from": 2018,
    "to": 2019,
    "items": [
        {
            "course": "basic-sro",
            "name": "Basic SRO",
            "from_total": 2273,
            "to_total": 2516,
            "from_months": 12,
            "to_months": 8,
            "change": 243,
            "change_pct": 10.7,
            "comparable": False,
            "from_same_months_total": None,
            "change_same_months": None,
            "change_same_months_pct": None,
            "comparable_note": "2019 covers Jan–Aug; 2018 has no Jan–Aug figure",
            "to_annualized": 3774.0,
            "estimate_method": "linear",
            "record": True,
            "contribution_pp": 6.2,
            "to_projected": 3774.0,
            "projection_method": "linear",
            "projection_basis": [],
        }
    ],
    "all_courses": {"from_total": 3950, "to_total": 6730, "change": 2780},
    "excluding_new_courses": {
        "from_total": 3079,
        "to_total": 3563,
        "change": 484,
        "change_pct": 15.7,
        "excluded": ["adolescent-mental-health"],
    },
}

SHARES: dict[str, Any] = {
    "year": 2019,
    "year_total": 6730,
    "months_covered": 8,
    "complete": False,
    "months_label": "Jan–Aug",
    "items": [
        {
            "course": "adolescent-mental-health",
            "name": "Adolescent Mental Health",
            "total": 3167,
            "share_pct": 47.1,
        }
    ],
    "total": 6,
    "next_cursor": None,
}

RECORDS: dict[str, Any] = {
    "items": [
        {
            "course": "basic-sro",
            "name": "Basic SRO",
            "year": 2019,
            "total": 2516,
            "months_covered": 8,
            "complete": False,
            "previous_best": 2273,
            "previous_best_year": 2018,
        }
    ],
    "total": 6,
    "next_cursor": None,
    "all_courses": [
        {
            "year": 2019,
            "total": 6730,
            "months_covered": 8,
            "complete": False,
            "previous_best": 3950,
            "previous_best_year": 2018,
        }
    ],
}

TOTALS: dict[str, Any] = {
    "by": "course_year",
    "items": [
        {
            "course": "basic-sro",
            "name": "Basic SRO",
            "year": 2018,
            "total": 2273,
            "months_covered": 12,
            "complete": True,
        }
    ],
}

ROLLING: dict[str, Any] = {
    "start": "2018-09",
    "end": "2019-08",
    "months": 12,
    "label": "Sep 2018–Aug 2019",
    "previous_start": "2017-09",
    "previous_end": "2018-08",
    "items": [
        {
            "course": "basic-sro",
            "name": "Basic SRO",
            "total": 3289,
            "available": True,
            "reason": None,
            "parts": [
                {
                    "year": 2018,
                    "period": "2018-09/2018-12",
                    "label": "Sep–Dec 2018",
                    "total": 773,
                    "derived": True,
                    "derivation": "2018 − Jan–Aug 2018",
                },
                {
                    "year": 2019,
                    "period": "2019-01/2019-08",
                    "label": "Jan–Aug 2019",
                    "total": 2516,
                    "derived": False,
                    "derivation": None,
                },
            ],
            "previous_total": None,
            "previous_available": False,
            "previous_reason": "2017 has no figure for Sep–Dec and none can be derived",
            "previous_parts": [],
            "change": None,
            "change_pct": None,
        }
    ],
    "all_courses": {"total": None, "available": False},
}

PROBLEM: dict[str, Any] = {
    "type": "/problems/not-found",
    "title": "Not Found",
    "status": 404,
    "detail": "No course 'basic-sr'.",
    "instance": "/api/v1/courses/basic-sr",
}

COURSE_OUT: dict[str, Any] = {
    "slug": "school-security-officer",
    "name": "School Security Officer",
    "description": None,
    "audience": "Security personnel who are not law enforcement officers",
    "first_offered_year": None,
    "created_at": "2026-11-28T18:20:00.123456Z",
    "updated_at": "2026-11-28T18:20:00.123456Z",
}

SOURCE_OUT: dict[str, Any] = {
    "id": 1,
    "title": "National Organization Trains Record Numbers of School Resource Officers",
    "publisher": "National Association of School Resource Officers (NASRO)",
    "place": "Hoover, Ala.",
    "published_on": "2019-09-16",
    "url": None,
    "notes": "Press release.",
}

ATTENDANCE_OUT: dict[str, Any] = {
    "id": 2,
    "course": "basic-sro",
    "year": 2019,
    "start_month": 1,
    "end_month": 8,
    "period": "2019-01/2019-08",
    "period_label": "Jan–Aug 2019",
    "months": 8,
    "completions": 2516,
    "status": "final",
    "note": None,
    "source_id": 1,
    "revision": 1,
    "recorded_at": "2026-11-28T18:20:00.123456Z",
}

REVISION_OUT: dict[str, Any] = {
    "figure_id": 2,
    "revision": 2,
    "action": "update",
    "course": "basic-sro",
    "period": "2019-01/2019-08",
    "period_label": "Jan–Aug 2019",
    "completions": 2520,
    "status": "final",
    "note": "Corrected after an audit.",
    "source_id": 1,
    "recorded_at": "2026-11-28T18:20:00.123456Z",
    "recorded_by": "office",
    "published_on": "2019-09-16",
    "vintage_from": "2019-09-16",
}

IMPORT_REPORT_OUT: dict[str, Any] = {"rows": 12, "created": 1, "revised": 1, "unchanged": 10}

AUDIT_ENTRY_OUT: dict[str, Any] = {
    "id": 7,
    "at": "2026-11-28T18:20:00.123456Z",
    "actor": "office",
    "key_prefix": "esk_1a2b3c4d",
    "action": "figure.update",
    "resource": "/api/v1/attendance/2",
    "before": {"completions": 2516},
    "after": {"completions": 2520},
}

COURSE_IN: dict[str, Any] = {
    "slug": "threat-assessment",
    "name": "Threat Assessment",
    "description": "Identifying and managing threats in schools.",
    "audience": None,
    "first_offered_year": 2019,
}

COURSE_UPDATE: dict[str, Any] = {"description": "The 40-hour course."}

SOURCE_IN: dict[str, Any] = {
    "title": "NASRO annual report 2019",
    "publisher": "National Association of School Resource Officers (NASRO)",
    "place": "Hoover, Ala.",
    "published_on": "2020-03-01",
    "url": "https://example.org/report-2019",
    "notes": None,
}

FIGURE_IN: dict[str, Any] = {
    "course": "basic-sro",
    "period": "2019-09/2019-12",
    "completions": 600,
    "status": "final",
    "note": None,
    "source_id": 1,
}

FIGURE_PATCH: dict[str, Any] = {"completions": 2520}
