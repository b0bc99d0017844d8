//! The working-day calendar (工作日历) of a jurisdiction, as data: weekend
//! days, public holidays and make-up working days (调休上班).

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("cannot read calendar {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("calendar {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, Deserialize)]
struct CalendarFile {
    name: String,
    weekend: Vec<String>,
    covers: Vec<i32>,
    #[serde(default)]
    holidays: Vec<HolidayEntry>,
    #[serde(default)]
    workdays: Vec<WorkdayEntry>,
}

#[derive(Debug, Deserialize)]
struct HolidayEntry {
    name: String,
    from: String,
    to: String,
}

#[derive(Debug, Deserialize)]
struct WorkdayEntry {
    name: String,
    date: String,
}

/// Which days are working days.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    pub name: String,
    weekend: BTreeSet<u32>,
    /// Holiday dates with the holiday's name.
    holidays: BTreeMap<NaiveDate, String>,
    /// Make-up working days (调休) with their reason.
    workdays: BTreeMap<NaiveDate, String>,
    covers: BTreeSet<i32>,
}

/// The longest holiday, in days.
pub const MAX_HOLIDAY_DAYS: i64 = 366;

fn weekday(name: &str) -> Option<Weekday> {
    name.parse::<Weekday>().ok()
}

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

impl WorkCalendar {
    pub fn load(path: &Path) -> Result<Self, CalendarError> {
        let text = std::fs::read_to_string(path).map_err(|source| CalendarError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|message| CalendarError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let file: CalendarFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut weekend = BTreeSet::new();
        for day in &file.weekend {
            let wd =
                weekday(day).ok_or_else(|| format!("weekend day {day:?} is not a weekday name"))?;
            weekend.insert(wd.num_days_from_monday());
        }
        if weekend.len() == 7 {
            // Counting working days would run to the end of time.
            return Err("the weekend cannot be every day of the week".into());
        }
        let mut holidays = BTreeMap::new();
        for h in &file.holidays {
            let (from, to) = (date(&h.from)?, date(&h.to)?);
            if to < from {
                return Err(format!(
                    "holiday {} ends ({to}) before it starts ({from})",
                    h.name
                ));
            }
            // Every day is kept; a holiday of centuries filled gigabytes.
            if (to - from).num_days() >= MAX_HOLIDAY_DAYS {
                return Err(format!(
                    "holiday {} lasts more than {MAX_HOLIDAY_DAYS} days ({from} to {to})",
                    h.name
                ));
            }
            for day in from.iter_days().take_while(|d| *d <= to) {
                holidays.insert(day, h.name.clone());
            }
        }
        let mut workdays = BTreeMap::new();
        for w in &file.workdays {
            let day = date(&w.date)?;
            if let Some(holiday) = holidays.get(&day) {
                return Err(format!(
                    "{day} is both a holiday ({holiday}) and a make-up working day"
                ));
            }
            workdays.insert(day, w.name.clone());
        }
        Ok(WorkCalendar {
            name: file.name,
            weekend,
            holidays,
            workdays,
            covers: file.covers.into_iter().collect(),
        })
    }

    /// Whether the calendar lists the holidays of `year`.
    pub fn covers(&self, year: i32) -> bool {
        self.covers.contains(&year)
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains_key(&day) {
            return true;
        }
        !self.holidays.contains_key(&day)
            && !self.weekend.contains(&day.weekday().num_days_from_monday())
    }

    /// The `n`th working day after `day` (`day` itself is not counted).
    /// `n == 0` gives `day`; the last day of chrono's range when the
    /// count runs past it.
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut at = day;
        let mut left = n;
        while left > 0 {
            // The calendar ends with chrono's range (a day an event may
            // carry): its last day is as far as counting goes.
            let Some(next) = at.succ_opt() else { break };
            at = next;
            if self.is_working_day(at) {
                left -= 1;
            }
        }
        at
    }

    /// The first working day on or after `day` (the last day of chrono's
    /// range if none is).
    pub fn next_working_day_from(&self, day: NaiveDate) -> NaiveDate {
        let mut at = day;
        while !self.is_working_day(at) {
            let Some(next) = at.succ_opt() else { break };
            at = next;
        }
        at
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn cn() -> WorkCalendar {
        WorkCalendar::parse(include_str!("../../../deploy/calendar/cn.toml"))
            .expect("shipped calendar parses")
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn weekends_holidays_and_make_up_days() {
        let c = cn();
        assert!(c.is_working_day(d("2025-09-30")), "an ordinary Tuesday");
        assert!(!c.is_working_day(d("2025-10-01")), "National Day");
        assert!(
            !c.is_working_day(d("2025-10-08")),
            "last day of the Golden Week"
        );
        assert!(c.is_working_day(d("2025-10-11")), "make-up Saturday");
        assert!(c.is_working_day(d("2025-09-28")), "make-up Sunday");
        assert!(!c.is_working_day(d("2025-10-12")), "an ordinary Sunday");
        assert!(
            c.is_working_day(d("2026-02-14")),
            "Spring Festival make-up Saturday"
        );
        assert!(!c.is_working_day(d("2026-02-23")), "Spring Festival");
    }

    #[test]
    fn ten_working_days_across_the_2025_golden_week() {
        // Oct 9, 10, 11 (make-up Saturday), 13–17, 20, 21.
        assert_eq!(cn().add_working_days(d("2025-09-30"), 10), d("2025-10-21"));
    }

    #[test]
    fn a_make_up_sunday_counts() {
        assert_eq!(cn().add_working_days(d("2025-09-27"), 1), d("2025-09-28"));
    }

    #[test]
    fn two_working_days_across_the_2026_spring_festival() {
        // Feb 14 is a make-up Saturday, Feb 15–23 the holiday.
        assert_eq!(cn().add_working_days(d("2026-02-13"), 2), d("2026-02-24"));
    }

    #[test]
    fn covered_years_are_known() {
        assert!(cn().covers(2025) && cn().covers(2026) && !cn().covers(2027));
    }

    #[test]
    fn bad_calendars_are_rejected_with_the_reason() {
        let text = "name='x'\nweekend=['caturday']\ncovers=[]\n";
        assert!(WorkCalendar::parse(text).unwrap_err().contains("caturday"));
        let text = "name='x'\nweekend=[]\ncovers=[]\n[[holidays]]\nname='h'\nfrom='2025-01-02'\nto='2025-01-01'\n";
        assert!(WorkCalendar::parse(text)
            .unwrap_err()
            .contains("before it starts"));
        let text = "name='x'\nweekend=[]\ncovers=[]\n[[holidays]]\nname='h'\nfrom='2025-01-01'\nto='2025-01-01'\n[[workdays]]\nname='w'\ndate='2025-01-01'\n";
        assert!(WorkCalendar::parse(text)
            .unwrap_err()
            .contains("both a holiday"));
    }

    #[test]
    fn counting_stops_at_the_last_day_chrono_knows() {
        // Seen while fixing the edges the fuzz targets found: counting
        // working days from NaiveDate::MAX (the local day of a due time an
        // event carried) never ended when that day is not a working day.
        let last = NaiveDate::MAX;
        let text = format!("name='x'\nweekend=['{:?}']\ncovers=[]\n", last.weekday());
        let c = WorkCalendar::parse(&text).expect("calendar");
        assert!(!c.is_working_day(last));
        assert_eq!(c.add_working_days(last, 5), last);
        assert_eq!(c.next_working_day_from(last), last);
        assert_eq!(c.add_working_days(last.pred_opt().expect("day"), 2), last);
    }

    #[test]
    fn calendars_that_never_end_counting_are_rejected() {
        // Not found by the fuzzer in 300 s, but by trying the calendar_file
        // target on what it had not reached: a weekend of seven days made
        // every deadline count to the end of chrono's range (over a
        // minute), and a holiday running to the year 262142 filled memory
        // past 2 GB.
        let text = "name='x'\nweekend=['Mon','Tue','Wed','Thu','Fri','Sat','Sun']\ncovers=[]\n";
        assert!(WorkCalendar::parse(text).unwrap_err().contains("every day"));
        let text = "name='x'\nweekend=[]\ncovers=[]\n[[holidays]]\nname='h'\nfrom='2025-01-01'\nto='+262142-01-01'\n";
        assert!(WorkCalendar::parse(text)
            .unwrap_err()
            .contains("lasts more than"));
        let text = "name='x'\nweekend=[]\ncovers=[]\n[[holidays]]\nname='h'\nfrom='2025-01-01'\nto='2025-12-31'\n";
        assert!(WorkCalendar::parse(text).is_ok());
    }
}
