//! Slash-command choices straight from the domain's word enums, so the words users pick
//! and the words we store are the same list.

use std::borrow::Cow;

use poise::serenity_prelude as serenity;

use crate::domain::program::Program;
use crate::domain::words::Word;

/// A domain word enum offered as a Discord choice option.
#[derive(Debug, Clone, Copy)]
pub struct Choice<T>(pub T);

impl<T: Word> poise::ChoiceParameter for Choice<T> {
    fn list() -> Cow<'static, [poise::CommandParameterChoice]> {
        T::ALL
            .iter()
            .map(|value| poise::CommandParameterChoice {
                name: Cow::Borrowed(value.as_str()),
                localizations: Cow::Borrowed(&[]),
                __non_exhaustive: (),
            })
            .collect::<Vec<_>>()
            .into()
    }

    fn from_index(index: usize) -> Option<Self> {
        T::ALL.get(index).copied().map(Choice)
    }

    fn from_name(name: &str) -> Option<Self> {
        T::ALL
            .iter()
            .find(|value| value.as_str().eq_ignore_ascii_case(name))
            .copied()
            .map(Choice)
    }

    fn name(&self) -> &'static str {
        self.0.as_str()
    }

    fn localized_name(&self, _locale: &str) -> Option<&'static str> {
        None
    }
}

/// Suggests IANA time-zone names containing what the user typed so far.
pub async fn autocomplete_time_zone(
    _ctx: super::state::Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let choices = time_zones_matching(partial)
        .into_iter()
        .map(serenity::AutocompleteChoice::from)
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Suggests the server's programs whose names contain what the user typed so far: live
/// ones first, then archived ones (whose stats and export stay).
pub async fn autocomplete_program(
    ctx: super::state::Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let Some(guild_id) = ctx.guild_id() else {
        return serenity::CreateAutocompleteResponse::new();
    };
    let programs = match ctx.data().store.programs(guild_id.into()).await {
        Ok(programs) => programs,
        Err(err) => {
            tracing::warn!(error = format!("{err:#}"), "cannot suggest programs");
            Vec::new()
        }
    };
    let choices = programs_matching(&programs, partial)
        .into_iter()
        .map(|name| serenity::AutocompleteChoice::new(name.clone(), name))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Up to 25 program names (Discord's limit) containing `partial`, ignoring case; live
/// programs before archived ones.
fn programs_matching(programs: &[Program], partial: &str) -> Vec<String> {
    let needle = partial.trim().to_lowercase();
    let mut found: Vec<&Program> = programs
        .iter()
        .filter(|p| p.name.to_lowercase().contains(&needle))
        .collect();
    found.sort_by_key(|p| p.is_archived());
    found.into_iter().take(25).map(|p| p.name.clone()).collect()
}

/// Up to 25 zone names (Discord's limit) containing `partial`, ignoring case and spaces.
fn time_zones_matching(partial: &str) -> Vec<&'static str> {
    let needle = partial.trim().to_ascii_lowercase().replace(' ', "_");
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|zone| zone.name())
        .filter(|name| name.to_ascii_lowercase().contains(&needle))
        .take(25)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::Role;
    use poise::ChoiceParameter;

    #[test]
    fn program_suggestions_match_any_case_and_put_archived_programs_last() {
        use crate::domain::ids::{GuildId, ProgramId};
        let mut programs: Vec<Program> = ["Autumn circles", "Faculty mentoring", "Spring circles"]
            .iter()
            .enumerate()
            .map(|(i, name)| Program::new(ProgramId(i as i64), GuildId(1), name))
            .collect();
        programs[0].archived_at = Some(chrono::Utc::now());
        assert_eq!(
            programs_matching(&programs, "CIRCLES"),
            ["Spring circles", "Autumn circles"]
        );
        assert_eq!(programs_matching(&programs, "").len(), 3);
    }

    #[test]
    fn choices_are_the_domain_words_in_order() {
        let names: Vec<_> = Choice::<Role>::list()
            .iter()
            .map(|c| c.name.to_string())
            .collect();
        assert_eq!(names, ["mentor", "mentee", "peer"]);
        assert_eq!(Choice::<Role>::from_index(1).unwrap().0, Role::Mentee);
        assert!(Choice::<Role>::from_index(3).is_none());
    }

    #[test]
    fn time_zone_suggestions_match_loosely() {
        assert!(time_zones_matching("new york").contains(&"America/New_York"));
        assert_eq!(time_zones_matching("").len(), 25);
        assert!(time_zones_matching("zzzz").is_empty());
    }
}
