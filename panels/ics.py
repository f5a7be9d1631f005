"""The .ics calendar file for one meeting (RFC 5545), with London time zone rules.

Never carries a child's details: a calendar leaves the service (phones, shared diaries, e-mail).
"""

from __future__ import annotations

import datetime as dt

from panels.models import Meeting, MeetingStatus

# Europe/London since 1996: BST from 01:00 UTC on the last Sunday in March to 01:00 UTC on the
# last Sunday in October (DTSTART here is local time, as RFC 5545 3.6.5 requires).
_VTIMEZONE_LONDON = (
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)
# Never a child's details: a calendar leaves the service (phones, shared diaries, e-mail).
ICS_DESCRIPTION = "OFFICIAL-SENSITIVE: papers in the casework service"


def ics_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # each continuation line starts with a space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def meeting_ics(*, meeting: Meeting, host: str, url: str, now: dt.datetime) -> str:
    local = "%Y%m%dT%H%M%S"
    starts = dt.datetime.combine(meeting.date, meeting.starts_at)
    ends = dt.datetime.combine(meeting.date, meeting.ends_at)
    event = [
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.pk}@{host}",
        f"DTSTAMP:{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
        f"DTSTART;TZID=Europe/London:{starts.strftime(local)}",
        f"DTEND;TZID=Europe/London:{ends.strftime(local)}",
        f"SUMMARY:{ics_text(meeting.panel.name)}",
    ]
    location = meeting.location or meeting.online_link
    if location:
        event.append(f"LOCATION:{ics_text(location)}")
    event += [
        f"DESCRIPTION:{ics_text(ICS_DESCRIPTION)}",
        f"URL:{url}",
        f"SEQUENCE:{meeting.version}",
        "STATUS:CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "STATUS:CONFIRMED",
        "END:VEVENT",
    ]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Casework//Panels//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        *_VTIMEZONE_LONDON,
        *event,
        "END:VCALENDAR",
    ]
    return "".join(ics_fold(line) + "\r\n" for line in lines)
