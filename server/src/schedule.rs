//! Business hours: a weekly schedule in the desk's time zone, with exceptions (holidays closed
//! all day, or special hours on a date). Supervisors set it (`POST /settings/hours`); outside it
//! the visitor page offers a form to leave a message instead of a queue nobody works.

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The schedule as supervisors write it, e.g.
/// `{"timeZone":"Asia/Shanghai","weekly":{"mon":[["09:00","18:00"]]},"exceptions":[{"date":"2026-10-01","hours":[]}]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schedule {
    /// An IANA time zone name (`Asia/Shanghai`, `Europe/Berlin`).
    pub time_zone: String,
    /// Opening hours per weekday (`mon` … `sun`): `[from, to]` pairs of `HH:MM` (`24:00` ends the
    /// day). A day not listed is closed.
    pub weekly: BTreeMap<String, Vec<[String; 2]>>,
    /// Dates whose hours differ (`hours: []`: closed all day).
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

/// One date whose hours differ from the week's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exception {
    /// `YYYY-MM-DD`, in the schedule's time zone.
    pub date: String,
    /// Its hours (none: closed).
    #[serde(default)]
    pub hours: Vec<[String; 2]>,
    /// What it is (国庆节), shown to nobody but supervisors.
    #[serde(default)]
    pub note: String,
}

/// A checked schedule: minutes of the day per weekday and per exceptional date.
#[derive(Debug, Clone)]
pub struct Hours {
    tz: Tz,
    weekly: [Vec<(u32, u32)>; 7],
    exceptions: HashMap<NaiveDate, Vec<(u32, u32)>>,
}

fn minutes(s: &str) -> Result<u32, String> {
    if s == "24:00" {
        return Ok(24 * 60);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| format!("{s:?} is not a time of day (HH:MM)"))?;
    Ok(t.hour() * 60 + t.minute())
}

fn ranges(pairs: &[[String; 2]]) -> Result<Vec<(u32, u32)>, String> {
    pairs
        .iter()
        .map(|[from, to]| {
            let (a, b) = (minutes(from)?, minutes(to)?);
            if a >= b {
                return Err(format!("{from}–{to}: the end must be after the start"));
            }
            Ok((a, b))
        })
        .collect()
}

impl Schedule {
    /// Checks the schedule: a known time zone, weekday names, times, dates.
    pub fn compile(&self) -> Result<Hours, String> {
        let tz: Tz = self.time_zone.parse().map_err(|_| format!("unknown time zone {:?}", self.time_zone))?;
        let mut weekly: [Vec<(u32, u32)>; 7] = Default::default();
        for (day, pairs) in &self.weekly {
            let d: Weekday = day.parse().map_err(|_| format!("{day:?} is not a weekday (mon … sun)"))?;
            weekly[d.num_days_from_monday() as usize] = ranges(pairs)?;
        }
        let mut exceptions = HashMap::new();
        for e in &self.exceptions {
            let date = NaiveDate::parse_from_str(&e.date, "%Y-%m-%d").map_err(|_| format!("{:?} is not a date (YYYY-MM-DD)", e.date))?;
            exceptions.insert(date, ranges(&e.hours)?);
        }
        Ok(Hours { tz, weekly, exceptions })
    }
}

impl Hours {
    fn hours_on(&self, date: NaiveDate) -> &[(u32, u32)] {
        match self.exceptions.get(&date) {
            Some(h) => h,
            None => &self.weekly[date.weekday().num_days_from_monday() as usize],
        }
    }

    /// Whether the desk is open at `at_ms` (ms since the epoch).
    pub fn is_open(&self, at_ms: i64) -> bool {
        let Some(local) = self.tz.timestamp_millis_opt(at_ms).single() else { return false };
        let m = local.hour() * 60 + local.minute();
        self.hours_on(local.date_naive()).iter().any(|&(a, b)| a <= m && m < b)
    }

    /// When the desk opens next after `at_ms` (within two weeks), ms since the epoch.
    pub fn next_open(&self, at_ms: i64) -> Option<i64> {
        let local = self.tz.timestamp_millis_opt(at_ms).single()?;
        let now_m = local.hour() * 60 + local.minute();
        for day in 0..15 {
            let date = local.date_naive() + chrono::Days::new(day);
            let mut starts: Vec<u32> = self.hours_on(date).iter().map(|r| r.0).filter(|&a| day > 0 || a > now_m).collect();
            starts.sort_unstable();
            if let Some(a) = starts.first() {
                let t = date.and_hms_opt(a / 60, a % 60, 0)?;
                return self.tz.from_local_datetime(&t).earliest().map(|d| d.timestamp_millis());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tz: &str, s: &str) -> i64 {
        let tz: Tz = tz.parse().unwrap();
        tz.from_local_datetime(&chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()).unwrap().timestamp_millis()
    }

    fn week() -> Schedule {
        serde_json::from_str(
            r#"{"timeZone":"Asia/Shanghai","weekly":{"mon":[["09:00","12:00"],["13:00","18:00"]],"sat":[["10:00","24:00"]]},
                "exceptions":[{"date":"2026-12-07","hours":[],"note":"closed"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn opening_hours_are_judged_in_the_desks_time_zone_with_exceptions() {
        let h = week().compile().unwrap();
        // 2026-11-30 is a Monday.
        assert!(h.is_open(at("Asia/Shanghai", "2026-11-30 09:00")));
        assert!(!h.is_open(at("Asia/Shanghai", "2026-11-30 12:30")), "lunch");
        assert!(!h.is_open(at("Asia/Shanghai", "2026-11-30 18:00")), "the end is exclusive");
        assert!(!h.is_open(at("Asia/Shanghai", "2026-12-01 10:00")), "Tuesday is not listed");
        assert!(h.is_open(at("Asia/Shanghai", "2026-12-05 23:59")), "24:00 ends the day");
        assert!(!h.is_open(at("Asia/Shanghai", "2026-12-07 10:00")), "the exception closes that Monday");
        // The same instant seen from UTC: 01:00 UTC is 09:00 in Shanghai.
        assert!(h.is_open(at("UTC", "2026-11-30 01:00")));
        assert_eq!(h.next_open(at("Asia/Shanghai", "2026-11-30 12:30")), Some(at("Asia/Shanghai", "2026-11-30 13:00")));
        assert_eq!(h.next_open(at("Asia/Shanghai", "2026-11-30 19:00")), Some(at("Asia/Shanghai", "2026-12-05 10:00")));
    }

    #[test]
    fn a_bad_schedule_says_what_is_wrong() {
        let mut s = week();
        s.time_zone = "Mars/Olympus".into();
        assert!(s.compile().unwrap_err().contains("time zone"));
        let mut s = week();
        s.weekly.insert("funday".into(), vec![]);
        assert!(s.compile().unwrap_err().contains("weekday"));
        let mut s = week();
        s.weekly.insert("tue".into(), vec![["18:00".into(), "09:00".into()]]);
        assert!(s.compile().unwrap_err().contains("after the start"));
        let mut s = week();
        s.weekly.insert("tue".into(), vec![["9am".into(), "18:00".into()]]);
        assert!(s.compile().unwrap_err().contains("HH:MM"));
        assert!(serde_json::from_str::<Schedule>(r#"{"timeZone":"UTC","weekly":{},"extra":1}"#).is_err());
    }
}
