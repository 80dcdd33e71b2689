//! What supervisors set at run time: the close-out tags (and whether one is required) and the
//! business hours. Kept in the store's `meta` (shared by a cluster's nodes, read again by a node
//! that takes routing over) and cached here.

use super::{err, Hub, HubError};
use crate::schedule::{Hours, Schedule};
use crate::store::Store;
use serde::{Deserialize, Serialize};

const CLOSEOUT_KEY: &str = "settings.closeout";
const HOURS_KEY: &str = "settings.hours";

/// Disposition tags an agent picks when ending a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloseOutSettings {
    /// The tags to pick from (each 1–32 characters, at most 50).
    pub tags: Vec<String>,
    /// Ending a conversation needs at least one tag.
    #[serde(default)]
    pub required: bool,
}

impl CloseOutSettings {
    fn check(&self) -> Result<(), String> {
        if self.tags.len() > 50 {
            return Err("at most 50 tags".into());
        }
        for t in &self.tags {
            let n = t.trim().chars().count();
            if n == 0 || n > 32 || t.trim() != t || t.contains(',') {
                return Err(format!("tag {t:?}: 1 to 32 characters, no comma, no spaces around"));
            }
        }
        if self.required && self.tags.is_empty() {
            return Err("tags cannot be required when there are none".into());
        }
        Ok(())
    }
}

/// The cached settings.
#[derive(Default)]
pub(super) struct DeskSettings {
    pub(super) closeout: CloseOutSettings,
    pub(super) hours: Option<(Schedule, Hours)>,
}

impl DeskSettings {
    /// The settings saved in `store` (defaults for anything missing or unreadable).
    pub(super) fn load(store: &Store) -> DeskSettings {
        let closeout = store.meta(CLOSEOUT_KEY).ok().flatten().and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default();
        let hours = store
            .meta(HOURS_KEY)
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_str::<Schedule>(&v).ok())
            .and_then(|s| s.compile().ok().map(|h| (s, h)));
        DeskSettings { closeout, hours }
    }
}

impl Hub {
    /// The close-out tags.
    pub fn closeout_settings(&self) -> CloseOutSettings {
        self.settings.read().map(|s| s.closeout.clone()).unwrap_or_default()
    }

    /// Sets the close-out tags (supervisors).
    pub fn set_closeout_settings(&self, c: CloseOutSettings) -> Result<(), HubError> {
        c.check().map_err(|e| err(400, e))?;
        let json = serde_json::to_string(&c).map_err(|e| err(400, e.to_string()))?;
        self.store.set_meta(CLOSEOUT_KEY, &json).map_err(|e| self.store_failed(e))?;
        if let Ok(mut s) = self.settings.write() {
            s.closeout = c;
        }
        Ok(())
    }

    /// The business hours (`None`: always open).
    pub fn business_hours(&self) -> Option<Schedule> {
        self.settings.read().ok().and_then(|s| s.hours.as_ref().map(|(s, _)| s.clone()))
    }

    /// Sets the business hours (`None`: always open).
    pub fn set_business_hours(&self, schedule: Option<Schedule>) -> Result<(), HubError> {
        let compiled = match &schedule {
            Some(s) => Some((s.clone(), s.compile().map_err(|e| err(400, e))?)),
            None => None,
        };
        let json = schedule.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default()).unwrap_or_default();
        self.store.set_meta(HOURS_KEY, &json).map_err(|e| self.store_failed(e))?;
        if let Ok(mut s) = self.settings.write() {
            s.hours = compiled;
        }
        Ok(())
    }

    /// Whether the desk is within its business hours at `now`, and when it opens next if not.
    pub(super) fn within_hours(&self, now: i64) -> (bool, Option<i64>) {
        let Ok(s) = self.settings.read() else { return (true, None) };
        match &s.hours {
            None => (true, None),
            Some((_, h)) if h.is_open(now) => (true, None),
            Some((_, h)) => (false, h.next_open(now)),
        }
    }
}
