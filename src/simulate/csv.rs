//! A population read from a CSV file: one member a line, with their do-not-match ids.

use std::collections::BTreeMap;

use chrono::{Offset, TimeZone};

use crate::domain::matching::{AvoidList, Candidate};
use crate::domain::profile::{Modality, Role, TimeOfDay};
use crate::domain::validate;

/// The columns a population file must have.
const COLUMNS: [&str; 8] = [
    "id",
    "role",
    "institution",
    "timezone",
    "time_of_day",
    "modality",
    "capacity",
    "avoid",
];

/// Parses a population CSV. Errors are one line and name the line number.
pub fn parse_population(text: &str) -> Result<(Vec<Candidate>, AvoidList), String> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(false)
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("line 1: {}", one_line(&e.to_string())))?
        .clone();
    let mut col = [0usize; 8];
    for (k, name) in COLUMNS.iter().enumerate() {
        col[k] = headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "line 1: missing column '{name}' (need: {})",
                    COLUMNS.join(",")
                )
            })?;
    }
    // A fixed instant, so a CSV run is reproducible whatever the date.
    let at = chrono::NaiveDate::from_ymd_opt(2025, 1, 15)
        .and_then(|d| d.and_hms_opt(15, 0, 0))
        .ok_or("internal: bad reference date")?;
    let mut members: Vec<Candidate> = Vec::new();
    let mut lines: BTreeMap<u64, u64> = BTreeMap::new();
    let mut avoid_raw: Vec<(u64, u64, u64)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("line {line}: {}", one_line(&e.to_string()))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |k: usize| record.get(col[k]).unwrap_or("").trim();
        let err = |msg: String| format!("line {line}: {}", one_line(&msg));
        let id: u64 = field(0).parse().map_err(|_| {
            err(format!(
                "id '{}' is not a Discord id (a positive whole number)",
                field(0)
            ))
        })?;
        if let Some(first) = lines.insert(id, line) {
            return Err(err(format!("duplicate id {id} (first on line {first})")));
        }
        let role: Role = field(1)
            .parse()
            .map_err(|e: crate::domain::profile::UnknownWord| err(e.to_string()))?;
        let institution = Some(field(2)).filter(|s| !s.is_empty()).map(str::to_string);
        let utc_offset_minutes = match field(3) {
            "" => None,
            zone => {
                let tz = validate::time_zone(zone).map_err(|e| err(e.0))?;
                Some(tz.offset_from_utc_datetime(&at).fix().local_minus_utc() / 60)
            }
        };
        let time_of_day = match field(4) {
            "" => TimeOfDay::Flexible,
            s => s
                .parse()
                .map_err(|e: crate::domain::profile::UnknownWord| err(e.to_string()))?,
        };
        let modality = match field(5) {
            "" => Modality::Any,
            s => s
                .parse()
                .map_err(|e: crate::domain::profile::UnknownWord| err(e.to_string()))?,
        };
        let capacity = match field(6) {
            "" => u8::from(role == Role::Mentor),
            s => match s.parse::<u8>() {
                Ok(c) if c <= 5 => c,
                _ => {
                    return Err(err(format!(
                        "capacity '{s}' must be a whole number from 0 to 5"
                    )))
                }
            },
        };
        for other in field(7).split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let other: u64 = other
                .parse()
                .map_err(|_| err(format!("avoid id '{other}' is not a Discord id")))?;
            avoid_raw.push((id, other, line));
        }
        members.push(Candidate {
            id,
            role,
            institution,
            utc_offset_minutes,
            time_of_day,
            modality,
            capacity,
            available: true,
            interests: 0,
        });
    }
    for &(a, b, line) in &avoid_raw {
        if !lines.contains_key(&b) {
            return Err(format!(
                "line {line}: avoid lists id {b}, which is not in the file"
            ));
        }
        if a == b {
            return Err(format!("line {line}: a member cannot avoid themselves"));
        }
    }
    let avoid: AvoidList = avoid_raw.iter().map(|&(a, b, _)| (a, b)).collect();
    Ok((members, avoid))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,role,institution,timezone,time_of_day,modality,capacity,avoid\n";

    #[test]
    fn parses_a_good_file() {
        let text = format!(
            "{HEADER}1,mentor,MIT,Europe/Berlin,morning,video,3,2\n2,mentee,,America/New_York,,,,\n3,peer,Yale,,evening,phone,,1;2\n"
        );
        let (members, avoid) = parse_population(&text).unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[0].utc_offset_minutes, Some(60));
        assert_eq!(members[1].utc_offset_minutes, Some(-300));
        assert_eq!(members[0].capacity, 3);
        assert!(avoid.contains(2, 1) && avoid.contains(3, 1) && avoid.contains(2, 3));
    }

    #[test]
    fn bad_files_get_one_line_errors_with_line_numbers() {
        let cases = [
            ("id,role\n1,peer\n", "line 1: missing column 'institution'"),
            (
                &format!("{HEADER}1,peer,,,,,,\n2,boss,,,,,,\n") as &str,
                "line 3: 'boss' is not a role",
            ),
            (
                &format!("{HEADER}1,peer,,Mars/Base,,,,\n"),
                "line 2: 'Mars/Base' is not a time zone",
            ),
            (
                &format!("{HEADER}1,peer,,,,,,\n1,peer,,,,,,\n"),
                "line 3: duplicate id 1 (first on line 2)",
            ),
            (&format!("{HEADER}x,peer,,,,,,\n"), "line 2: id 'x'"),
            (&format!("{HEADER}1,peer,,,,,\n"), "line 2:"),
            (
                &format!("{HEADER}1,mentor,,,,,9,\n"),
                "line 2: capacity '9'",
            ),
            (
                &format!("{HEADER}1,peer,,,,,,7\n"),
                "line 2: avoid lists id 7",
            ),
        ];
        for (text, want) in cases {
            let err = parse_population(text).unwrap_err();
            assert!(err.starts_with(want), "{err:?} should start with {want:?}");
            assert!(!err.contains('\n'), "{err:?}");
        }
    }
}
