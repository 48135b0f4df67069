//! A population read from a CSV file: one member a line, with their do-not-match ids
//! and, optionally, their interest tags.
//!
//! A member's id is any unique non-empty text: a coordinator previewing a program has
//! a spreadsheet of names or e-mail addresses, not Discord ids. The engine keys members
//! by number, so each id gets the number of its line's order (1, 2, …), and `avoid`
//! names the same texts.

use std::collections::BTreeMap;

use chrono::{Offset, TimeZone};

use crate::domain::matching::{AvoidList, Candidate, INTEREST_TAGS, MEMBER_INTERESTS};
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

/// The optional column of interest tags, `;`-separated free text.
const INTERESTS: &str = "interests";

/// Parses a population CSV. Errors are one line and name the line number. Interest
/// tags are numbered in order of first appearance (compared without case or
/// surrounding space): at most 25 in a file, at most 5 per member.
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
    let interests_col = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case(INTERESTS));
    let mut tags: Vec<String> = Vec::new();
    // A fixed instant, so a CSV run is reproducible whatever the date.
    let at = chrono::NaiveDate::from_ymd_opt(2025, 1, 15)
        .and_then(|d| d.and_hms_opt(15, 0, 0))
        .ok_or("internal: bad reference date")?;
    let mut members: Vec<Candidate> = Vec::new();
    // Each id's text, to its line and its number for the engine.
    let mut ids: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut avoid_raw: Vec<(u64, String, u64)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("line {line}: {}", one_line(&e.to_string()))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |k: usize| record.get(col[k]).unwrap_or("").trim();
        let err = |msg: String| format!("line {line}: {}", one_line(&msg));
        let text_id = field(0);
        if text_id.is_empty() {
            return Err(err(
                "the id is empty; give every member a unique id (a name, an e-mail address or a Discord id)".into(),
            ));
        }
        if let Some((first, _)) = ids.get(text_id) {
            return Err(err(format!(
                "duplicate id '{text_id}' (first on line {first})"
            )));
        }
        let id = ids.len() as u64 + 1;
        ids.insert(text_id.to_string(), (line, id));
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
            avoid_raw.push((id, other.to_string(), line));
        }
        let mut interests = 0u32;
        let listed = interests_col.map_or("", |k| record.get(k).unwrap_or("").trim());
        for tag in listed.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let tag = tag.to_lowercase();
            let number = match tags.iter().position(|t| *t == tag) {
                Some(k) => k,
                None if tags.len() < INTEREST_TAGS as usize => {
                    tags.push(tag);
                    tags.len() - 1
                }
                None => {
                    return Err(err(format!(
                        "interest '{tag}' would be tag number {} in this file; a program has at most {INTEREST_TAGS}",
                        INTEREST_TAGS + 1
                    )))
                }
            };
            interests |= 1 << number;
        }
        if interests.count_ones() > MEMBER_INTERESTS {
            return Err(err(format!(
                "member '{text_id}' picked {} interests; a member picks at most {MEMBER_INTERESTS}",
                interests.count_ones()
            )));
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
            interests,
        });
    }
    let mut avoid = Vec::with_capacity(avoid_raw.len());
    for (a, b, line) in avoid_raw {
        let Some(&(_, b_id)) = ids.get(&b) else {
            return Err(format!(
                "line {line}: avoid lists id '{b}', which is not in the file"
            ));
        };
        if a == b_id {
            return Err(format!("line {line}: a member cannot avoid themselves"));
        }
        avoid.push((a, b_id));
    }
    Ok((members, avoid.into_iter().collect()))
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
    fn names_and_email_addresses_are_ids_and_avoid_refers_to_them() {
        // A coordinator's own spreadsheet, before anyone has joined on Discord.
        let text = format!(
            "{HEADER}m000,mentor,,,,,2,\nana@ucsf.edu,mentee,,,,,,m000\nBo Chen,mentee,,,,,,ana@ucsf.edu; m000\n\
             dee,mentee,,,,,,\n"
        );
        let (members, avoid) = parse_population(&text).unwrap();
        let numbers: Vec<u64> = members.iter().map(|c| c.id).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4], "ids are numbered in line order");
        assert!(avoid.contains(2, 1) && avoid.contains(3, 2) && avoid.contains(3, 1));
        assert!(!avoid.contains(4, 1) && !avoid.contains(4, 3));
        let err =
            parse_population(&format!("{HEADER}ana,peer,,,,,,\nana,peer,,,,,,\n")).unwrap_err();
        assert_eq!(err, "line 3: duplicate id 'ana' (first on line 2)");
        let err = parse_population(&format!("{HEADER}ana,peer,,,,,,bob\n")).unwrap_err();
        assert_eq!(
            err,
            "line 2: avoid lists id 'bob', which is not in the file"
        );
        let err = parse_population(&format!("{HEADER}ana,peer,,,,,,ana\n")).unwrap_err();
        assert_eq!(err, "line 2: a member cannot avoid themselves");
    }

    #[test]
    fn interests_become_tag_numbers_in_order_of_first_appearance() {
        let text = "id,role,institution,timezone,time_of_day,modality,capacity,avoid,interests\n\
            1,peer,,,,,,,Grant writing; coding\n\
            2,peer,,,,,,,\n\
            3,peer,,,,,,,coding;clinical research;grant writing ;coding\n";
        let (members, _) = parse_population(text).unwrap();
        let got: Vec<u32> = members.iter().map(|c| c.interests).collect();
        // grant writing = 0, coding = 1, clinical research = 2; a repeat counts once.
        assert_eq!(got, vec![0b011, 0, 0b111]);
        // The column is optional.
        let (members, _) = parse_population(&format!("{HEADER}1,peer,,,,,,\n")).unwrap();
        assert_eq!(members[0].interests, 0);
    }

    #[test]
    fn too_many_interests_get_errors_naming_the_line() {
        let header = "id,role,institution,timezone,time_of_day,modality,capacity,avoid,interests\n";
        let six = format!("{header}1,peer,,,,,,,a\n2,peer,,,,,,,a;b;c;d;e;f\n");
        let err = parse_population(&six).unwrap_err();
        assert!(
            err.starts_with("line 3: member '2' picked 6 interests; a member picks at most 5"),
            "{err}"
        );
        let mut many = header.to_string();
        for k in 0..26 {
            many.push_str(&format!("{},peer,,,,,,,tag{k}\n", k + 1));
        }
        let err = parse_population(&many).unwrap_err();
        assert!(
            err.starts_with("line 27: interest 'tag25' would be tag number 26"),
            "{err}"
        );
        assert!(err.contains("at most 25"), "{err}");
        // 25 distinct tags are fine.
        let lines: Vec<&str> = many.lines().take(26).collect();
        assert!(parse_population(&(lines.join("\n") + "\n")).is_ok());
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
                "line 3: duplicate id '1' (first on line 2)",
            ),
            (
                &format!("{HEADER}\"\",peer,,,,,,\n"),
                "line 2: the id is empty",
            ),
            (&format!("{HEADER}1,peer,,,,,\n"), "line 2:"),
            (
                &format!("{HEADER}1,mentor,,,,,9,\n"),
                "line 2: capacity '9'",
            ),
            (
                &format!("{HEADER}1,peer,,,,,,7\n"),
                "line 2: avoid lists id '7'",
            ),
        ];
        for (text, want) in cases {
            let err = parse_population(text).unwrap_err();
            assert!(err.starts_with(want), "{err:?} should start with {want:?}");
            assert!(!err.contains('\n'), "{err:?}");
        }
    }
}
