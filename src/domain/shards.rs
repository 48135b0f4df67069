//! Which of Discord's gateway shards a process runs: `FIRST-LAST/TOTAL`, both ends
//! included (`0-1/4` is shards 0 and 1 of 4), or `ID/TOTAL` for one shard.

use std::fmt;

/// Discord closes a shard with more servers than this (close code 4011, "Sharding required").
pub const MAX_SERVERS_PER_SHARD: u64 = 2_500;

/// From this many servers on one shard, hallway warns that the total should grow.
pub const NEAR_FULL_SHARD: u64 = 2_000;

/// About how many servers Discord puts behind each shard it recommends in `GET /gateway/bot`.
pub const SERVERS_PER_RECOMMENDED_SHARD: u64 = 1_000;

/// Shards `first..=last` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

/// What a valid value looks like, for the messages that refuse one.
const FORMAT: &str =
    "give FIRST-LAST/TOTAL with LAST < TOTAL, e.g. 0-1/4, or ID/TOTAL for one shard, e.g. 3/4";

impl ShardRange {
    /// Every shard of `total`, in one process.
    pub fn all(total: u32) -> ShardRange {
        ShardRange {
            first: 0,
            last: total.saturating_sub(1),
            total,
        }
    }

    /// Parses `FIRST-LAST/TOTAL` or `ID/TOTAL`; the error says what is wrong and what to write.
    pub fn parse(text: &str) -> Result<ShardRange, String> {
        let shown = text.trim();
        let bad = |why: String| Err(format!("\"{shown}\": {why}; {FORMAT}"));
        let Some((range, total)) = shown.split_once('/') else {
            return bad("no total shard count after a '/'".into());
        };
        let number = |what: &str, digits: &str| -> Result<u32, String> {
            let digits = digits.trim();
            digits
                .parse::<u32>()
                .map_err(|_| format!("{what} '{digits}' is not a whole number"))
        };
        let total = match number("the total", total) {
            Ok(total) => total,
            Err(why) => return bad(why),
        };
        let (first, last) = match range.split_once('-') {
            Some((first, last)) => (
                number("the first shard", first),
                number("the last shard", last),
            ),
            None => (number("the shard", range), number("the shard", range)),
        };
        let (first, last) = match (first, last) {
            (Ok(first), Ok(last)) => (first, last),
            (Err(why), _) | (_, Err(why)) => return bad(why),
        };
        if total == 0 {
            return bad("the total must be at least 1".into());
        }
        if first > last {
            return bad(format!(
                "the first shard ({first}) comes after the last ({last})"
            ));
        }
        if last >= total {
            return bad(format!(
                "shard {last} is past the last shard ({}) of {total}",
                total - 1
            ));
        }
        Ok(ShardRange { first, last, total })
    }

    /// The shard ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = u32> {
        self.first..=self.last
    }

    /// How many shards this process runs.
    pub fn count(&self) -> u32 {
        self.last - self.first + 1
    }

    /// This process's share of a limit that Discord counts per bot across every process
    /// (the global 50 REST calls a second): the limit times the part of the shards it runs,
    /// so that processes on disjoint ranges of one total never exceed it together.
    pub fn share_of(&self, limit: f64) -> f64 {
        limit * f64::from(self.count()) / f64::from(self.total.max(1))
    }

    /// Whether this process runs every shard, so that no other process is needed.
    pub fn covers_every_shard(&self) -> bool {
        self.first == 0 && self.last + 1 == self.total
    }
}

impl fmt::Display for ShardRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}/{}", self.first, self.total)
        } else {
            write!(f, "{}-{}/{}", self.first, self.last, self.total)
        }
    }
}

/// Refuses a shard total that would put more than [`MAX_SERVERS_PER_SHARD`] servers on a
/// shard, judged from Discord's recommended shard count (`GET /gateway/bot`), which is
/// about one shard per [`SERVERS_PER_RECOMMENDED_SHARD`] servers.
///
/// A recommendation of `r` shards means more than `(r - 1) * 1,000` servers. Discord
/// spreads servers over shards by id, so some shard holds at least the average: the total
/// is refused only when that lower bound over `total` shards is already past 2,500, i.e.
/// when Discord would certainly close a shard with 4011. Fewer shards than recommended
/// but not certainly too few is allowed (the caller may warn).
pub fn check_total(total: u32, recommended: u32) -> Result<(), String> {
    let at_least = u64::from(recommended.saturating_sub(1)) * SERVERS_PER_RECOMMENDED_SHARD + 1;
    let needed = at_least.div_ceil(MAX_SERVERS_PER_SHARD);
    if recommended > 1 && u64::from(total) < needed {
        return Err(format!(
            "{total} shards are too few: Discord recommends {recommended} for this bot (more than {} servers), \
             and a shard takes at most {MAX_SERVERS_PER_SHARD} servers; give a total of at least {needed}, \
             or {recommended} as Discord recommends",
            at_least - 1
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn processes_on_disjoint_ranges_share_the_rest_budget_to_its_total() {
        let halves = ["0-1/4", "2-3/4"].map(|text| ShardRange::parse(text).unwrap());
        let shares: Vec<f64> = halves.iter().map(|range| range.share_of(45.0)).collect();
        assert_eq!(shares, [22.5, 22.5]);
        let uneven = ["0-0/3", "1-2/3"].map(|text| ShardRange::parse(text).unwrap());
        let total: f64 = uneven.iter().map(|range| range.share_of(45.0)).sum();
        assert!((total - 45.0).abs() < 1e-9, "{total}");
        assert_eq!(ShardRange::all(4).share_of(45.0), 45.0);
    }
    use super::*;

    fn range(first: u32, last: u32, total: u32) -> ShardRange {
        ShardRange { first, last, total }
    }

    #[test]
    fn a_range_and_a_single_shard_parse() {
        assert_eq!(ShardRange::parse("0-1/4"), Ok(range(0, 1, 4)));
        assert_eq!(ShardRange::parse(" 2-3/4 "), Ok(range(2, 3, 4)));
        assert_eq!(ShardRange::parse("3/4"), Ok(range(3, 3, 4)));
        assert_eq!(ShardRange::parse("0-0/1"), Ok(range(0, 0, 1)));
        assert_eq!(ShardRange::parse("0 - 15 / 16"), Ok(range(0, 15, 16)));
    }

    #[test]
    fn a_shard_past_the_total_says_which_is_the_last() {
        assert_eq!(
            ShardRange::parse("5-6/4").unwrap_err(),
            format!("\"5-6/4\": shard 6 is past the last shard (3) of 4; {FORMAT}")
        );
        let err = ShardRange::parse("4/4").unwrap_err();
        assert!(
            err.contains("shard 4 is past the last shard (3) of 4"),
            "{err}"
        );
    }

    #[test]
    fn malformed_ranges_are_refused_with_the_reason() {
        let cases = [
            ("0-1", "no total shard count after a '/'"),
            ("", "no total shard count"),
            ("a-1/4", "the first shard 'a' is not a whole number"),
            ("0-x/4", "the last shard 'x' is not a whole number"),
            ("0-1/four", "the total 'four' is not a whole number"),
            ("-1/4", "the first shard '' is not a whole number"),
            ("0/0", "the total must be at least 1"),
            ("3-1/4", "the first shard (3) comes after the last (1)"),
            ("0-1/4/8", "the total '4/8' is not a whole number"),
        ];
        for (text, why) in cases {
            let err = ShardRange::parse(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
            assert!(err.ends_with(FORMAT), "{text}: {err}");
        }
    }

    #[test]
    fn a_range_knows_its_shards_and_whether_it_is_all_of_them() {
        let part = range(2, 3, 4);
        assert_eq!(part.ids().collect::<Vec<_>>(), [2, 3]);
        assert_eq!(part.count(), 2);
        assert!(!part.covers_every_shard());
        assert!(!range(0, 2, 4).covers_every_shard());
        assert!(range(0, 3, 4).covers_every_shard());
        assert_eq!(ShardRange::all(4), range(0, 3, 4));
        assert!(ShardRange::all(1).covers_every_shard());
        assert_eq!(part.to_string(), "2-3/4");
        assert_eq!(range(3, 3, 4).to_string(), "3/4");
    }

    #[test]
    fn a_total_is_refused_only_when_a_shard_would_certainly_hold_over_2500_servers() {
        // Discord recommends 1 shard under 1,000 servers: anything goes.
        assert_eq!(check_total(1, 1), Ok(()));
        // 3 recommended: 2,001 to 3,000 servers; one shard may still hold them all.
        assert_eq!(check_total(1, 3), Ok(()));
        // 4 recommended: over 3,000 servers, more than 2,500 on one shard.
        let err = check_total(1, 4).unwrap_err();
        assert!(
            err.contains(
                "1 shards are too few: Discord recommends 4 for this bot (more than 3000 servers)"
            ),
            "{err}"
        );
        assert!(err.contains("give a total of at least 2"), "{err}");
        assert_eq!(check_total(2, 4), Ok(()));
        // 11 recommended: over 10,000 servers need at least 5 shards.
        assert!(check_total(4, 11).is_err());
        assert_eq!(check_total(5, 11), Ok(()));
        // More shards than recommended are always fine.
        assert_eq!(check_total(16, 4), Ok(()));
    }
}
