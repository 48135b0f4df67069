//! A program's interest tags and members' picks.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::Store;
use crate::domain::ids::{GuildId, InterestId, ProgramId, UserId};
use crate::domain::interests::{Interest, TagRefusal, MAX_PICKS, MAX_TAGS};

impl Store {
    /// The program's tags, oldest first: the order of the matching engine's bits.
    pub async fn interests(&self, program_id: ProgramId) -> anyhow::Result<Vec<Interest>> {
        let rows: Vec<(InterestId, String)> = sqlx::query_as(
            "select interest_id, name from interest where program_id = ? order by interest_id",
        )
        .bind(program_id)
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the interest tags")?;
        Ok(rows
            .into_iter()
            .map(|(interest_id, name)| Interest { interest_id, name })
            .collect())
    }

    /// Adds a tag, unless the program has [`MAX_TAGS`] or one of that name. The count is
    /// checked under the write lock, so two coordinators at once cannot pass the limit.
    pub async fn add_interest(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        name: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<Interest, TagRefusal>> {
        let mut tx = self.write_sqlite().await?;
        // A tag it has already is the more useful answer, even when the list is full.
        let existing: Option<i64> =
            sqlx::query_scalar("select 1 from interest where program_id = ? and name = ?")
                .bind(program_id)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .context("cannot read the interest tags")?;
        if existing.is_some() {
            return Ok(Err(TagRefusal::Taken));
        }
        let count: i64 = sqlx::query_scalar("select count(*) from interest where program_id = ?")
            .bind(program_id)
            .fetch_one(&mut *tx)
            .await
            .context("cannot count the interest tags")?;
        if count >= MAX_TAGS as i64 {
            return Ok(Err(TagRefusal::Full));
        }
        let inserted: Option<InterestId> = sqlx::query_scalar(
            "insert into interest (program_id, guild_id, name, created_at) values (?, ?, ?, ?)
             on conflict (program_id, name) do nothing returning interest_id",
        )
        .bind(program_id)
        .bind(guild_id)
        .bind(name)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .context("cannot save the interest tag")?;
        let Some(interest_id) = inserted else {
            return Ok(Err(TagRefusal::Taken));
        };
        tx.commit().await?;
        Ok(Ok(Interest {
            interest_id,
            name: name.to_string(),
        }))
    }

    /// Removes a tag by name (any case), and every member's pick of it. Returns the
    /// removed tag's name as it was stored, or `None` when there is no such tag.
    pub async fn remove_interest(
        &self,
        program_id: ProgramId,
        name: &str,
    ) -> anyhow::Result<Option<String>> {
        let removed: Option<String> = sqlx::query_scalar(
            "delete from interest where program_id = ? and name = ? returning name",
        )
        .bind(program_id)
        .bind(name)
        .fetch_optional(self.sqlite_pool())
        .await
        .context("cannot remove the interest tag")?;
        Ok(removed)
    }

    /// The tags a member picked in a program.
    pub async fn member_interests(
        &self,
        program_id: ProgramId,
        user_id: UserId,
    ) -> anyhow::Result<Vec<InterestId>> {
        sqlx::query_scalar(
            "select interest_id from member_interest where program_id = ? and user_id = ?
             order by interest_id",
        )
        .bind(program_id)
        .bind(user_id)
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the member's interests")
    }

    /// Every member's picks in a program.
    pub async fn program_picks(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<Vec<(UserId, InterestId)>> {
        sqlx::query_as(
            "select user_id, interest_id from member_interest where program_id = ?
             order by user_id, interest_id",
        )
        .bind(program_id)
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the members' interests")
    }

    /// Replaces a member's picks with `picks` (at most [`MAX_PICKS`], each a tag of the
    /// program). Returns false, saving nothing, when they are not a current member of
    /// the program or a pick is not one of its tags.
    pub async fn set_member_interests(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        user_id: UserId,
        picks: &[InterestId],
    ) -> anyhow::Result<bool> {
        let mut picks = picks.to_vec();
        picks.sort();
        picks.dedup();
        anyhow::ensure!(picks.len() <= MAX_PICKS, "more than {MAX_PICKS} interests");
        let mut tx = self.write_sqlite().await?;
        let member: Option<i64> = sqlx::query_scalar(
            "select 1 from program_member
             where program_id = ? and guild_id = ? and user_id = ? and left_at is null",
        )
        .bind(program_id)
        .bind(guild_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await
        .context("cannot read the member")?;
        if member.is_none() {
            return Ok(false);
        }
        sqlx::query("delete from member_interest where program_id = ? and user_id = ?")
            .bind(program_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .context("cannot clear the member's interests")?;
        for pick in &picks {
            let saved = sqlx::query(
                "insert into member_interest (program_id, user_id, interest_id, guild_id)
                 select ?, ?, interest_id, ? from interest where interest_id = ? and program_id = ?
                 on conflict do nothing",
            )
            .bind(program_id)
            .bind(user_id)
            .bind(guild_id)
            .bind(pick)
            .bind(program_id)
            .execute(&mut *tx)
            .await
            .context("cannot save the member's interests")?;
            if saved.rows_affected() == 0 {
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }
}
