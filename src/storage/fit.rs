//! Fit answers: recorded once per member and pair, read back as soft avoids for matching
//! and as counts for stats. Never shown one by one to anyone but their author.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::outbox::queue_deletion;
use super::{id_from_db, parse_column, Store};
use crate::domain::fit::{fit_check_key, Fit, FitAnswer, FitRefused};
use crate::domain::ids::{GroupId, GuildId, ProgramId, UserId};
use crate::domain::outbox::Posted;

/// After a "We met" (inside its transaction): a group of exactly two members, both still
/// in it, gets one fit check per member, due now, unless the pair was asked before in
/// this program (the key names the pair, so that insert does nothing). Circles of three
/// or more get none. Returns how many were queued.
pub(super) async fn queue_fit_checks(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    group_id: GroupId,
    now: DateTime<Utc>,
) -> anyhow::Result<u32> {
    let group = sqlx::query(
        "select g.size, g.round_id, r.program_id from match_group g
         join round r on r.round_id = g.round_id
         where g.guild_id = ? and g.group_id = ?",
    )
    .bind(guild_id)
    .bind(group_id)
    .fetch_optional(&mut *tx)
    .await
    .context("cannot read the group for its fit check")?;
    let Some(group) = group else { return Ok(0) };
    let members: Vec<UserId> = sqlx::query_scalar(
        "select user_id from group_member where guild_id = ? and group_id = ? order by user_id",
    )
    .bind(guild_id)
    .bind(group_id)
    .fetch_all(&mut *tx)
    .await
    .context("cannot read the group's members for its fit check")?;
    // The size is kept when a member is forgotten: a pair with one seat left is no pair.
    let size: i64 = group.try_get("size")?;
    let [a, b] = members[..] else { return Ok(0) };
    if size != 2 {
        return Ok(0);
    }
    let program: ProgramId = group.try_get("program_id")?;
    let round: i64 = group.try_get("round_id")?;
    let mut queued = 0;
    for asked in [a, b] {
        let done = sqlx::query(
            "insert into outbox (guild_id, program_id, kind, key, round_id, group_id, user_id,
                                 due_at, created_at)
             values (?, ?, 'fit-check', ?, ?, ?, ?, ?, ?)
             on conflict (guild_id, key) do nothing",
        )
        .bind(guild_id)
        .bind(program)
        .bind(fit_check_key(program, a, b, asked))
        .bind(round)
        .bind(group_id)
        .bind(asked)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("cannot queue a fit check")?;
        queued += u32::try_from(done.rows_affected()).unwrap_or(0);
    }
    Ok(queued)
}

fn answer_from(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<FitAnswer> {
    Ok(FitAnswer {
        group_id: row.try_get("group_id")?,
        program_id: row.try_get("program_id")?,
        user_id: row.try_get("user_id")?,
        partner_id: row.try_get("partner_id")?,
        fit: parse_column(row.try_get("fit")?, "fit_answer.fit")?,
        avoiding: row.try_get("avoiding")?,
    })
}

impl Store {
    /// Records a member's answer to the fit check they were sent about `group_id`; the
    /// last answer counts, and "Not a fit" keeps the two apart again even if undone
    /// before. Only the member the check was sent to can answer it, and only while the
    /// other member is still there.
    pub async fn record_fit(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        user_id: UserId,
        fit: Fit,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<FitAnswer, FitRefused>> {
        let mut tx = self.write_sqlite().await?;
        let members: Vec<UserId> = sqlx::query_scalar(
            "select user_id from group_member where guild_id = ? and group_id = ?",
        )
        .bind(guild_id)
        .bind(group_id)
        .fetch_all(&mut *tx)
        .await
        .context("cannot read the fit check's pair")?;
        let others: Vec<UserId> = members.iter().copied().filter(|m| *m != user_id).collect();
        // forget-me deletes every check naming the forgotten member, the one sent to their
        // partner included: a partner left alone in the pair is told why, not "not asked".
        if members.contains(&user_id) && others.is_empty() {
            return Ok(Err(FitRefused::PartnerGone));
        }
        let program: Option<ProgramId> = sqlx::query_scalar(
            "select program_id from outbox
             where guild_id = ? and kind = 'fit-check' and group_id = ? and user_id = ?",
        )
        .bind(guild_id)
        .bind(group_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await
        .context("cannot read whom the fit check asked")?
        .flatten();
        let Some(program_id) = program else {
            return Ok(Err(FitRefused::NotAsked));
        };
        let [partner_id] = others[..] else {
            return Ok(Err(FitRefused::PartnerGone));
        };
        sqlx::query(
            "insert into fit_answer (group_id, guild_id, program_id, user_id, partner_id, fit,
                                     avoiding, answered_at)
             values (?, ?, ?, ?, ?, ?, ?, ?)
             on conflict (group_id, user_id) do update set
                 fit = excluded.fit, avoiding = excluded.avoiding,
                 answered_at = excluded.answered_at",
        )
        .bind(group_id)
        .bind(guild_id)
        .bind(program_id)
        .bind(user_id)
        .bind(partner_id)
        .bind(fit.as_str())
        .bind(fit.avoids())
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("cannot record the fit answer")?;
        tx.commit().await.context("cannot commit the fit answer")?;
        Ok(Ok(FitAnswer {
            group_id,
            program_id,
            user_id,
            partner_id,
            fit,
            avoiding: fit.avoids(),
        }))
    }

    /// The member's own fit answer about a group, if they gave one.
    pub async fn fit_answer(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        user_id: UserId,
    ) -> anyhow::Result<Option<FitAnswer>> {
        let row = sqlx::query(
            "select group_id, program_id, user_id, partner_id, fit, avoiding from fit_answer
             where guild_id = ? and group_id = ? and user_id = ?",
        )
        .bind(guild_id)
        .bind(group_id)
        .bind(user_id)
        .fetch_optional(self.sqlite_pool())
        .await
        .context("cannot read the fit answer")?;
        row.as_ref().map(answer_from).transpose()
    }

    /// The program's soft avoids for matching: each pair where one said "Not a fit" about
    /// the other and has not undone it, as (author, partner).
    pub async fn fit_soft_avoids(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<Vec<(UserId, UserId)>> {
        let pairs = sqlx::query_as(
            "select user_id, partner_id from fit_answer
             where program_id = ? and avoiding = 1 order by user_id, partner_id",
        )
        .bind(program_id)
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the program's fit answers")?;
        Ok(pairs)
    }

    /// Those the member said were not a fit in the program and is still kept apart from,
    /// newest first, with their names (`None` for someone without a profile).
    pub async fn not_a_fit_partners(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        user_id: UserId,
    ) -> anyhow::Result<Vec<(UserId, Option<String>)>> {
        let rows = sqlx::query(
            "select f.partner_id, m.display_name from fit_answer f
             left join member m on m.guild_id = f.guild_id and m.user_id = f.partner_id
             where f.guild_id = ? and f.program_id = ? and f.user_id = ? and f.avoiding = 1
             order by julianday(f.answered_at) desc, f.partner_id",
        )
        .bind(guild_id)
        .bind(program_id)
        .bind(user_id)
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the member's fit answers")?;
        rows.iter()
            .map(|row| Ok((row.try_get("partner_id")?, row.try_get("display_name")?)))
            .collect()
    }

    /// Undoes the member's own "Not a fit" about each of `partners` in the program: they
    /// can be matched again. The answers stay recorded (stats count them). Ids that are
    /// not among the member's own avoids change nothing. Returns how many were undone.
    pub async fn stop_avoiding(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        user_id: UserId,
        partners: &[UserId],
    ) -> anyhow::Result<u32> {
        let mut tx = self.write_sqlite().await?;
        let mut undone = 0;
        for partner in partners {
            let done = sqlx::query(
                "update fit_answer set avoiding = 0
                 where guild_id = ? and program_id = ? and user_id = ? and partner_id = ?
                   and avoiding = 1",
            )
            .bind(guild_id)
            .bind(program_id)
            .bind(user_id)
            .bind(partner)
            .execute(&mut *tx)
            .await
            .context("cannot undo a fit answer")?;
            undone += u32::try_from(done.rows_affected()).unwrap_or(0);
        }
        tx.commit()
            .await
            .context("cannot commit undoing fit answers")?;
        Ok(undone)
    }
}

/// forget-me: every fit answer by or about the member, and every fit check that names
/// them (called inside forget-me's transaction). A check their partner was already sent
/// names them in its text, so that DM is deleted from Discord too.
pub(super) async fn forget_fit(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    user_id: UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("delete from fit_answer where guild_id = ?1 and (user_id = ?2 or partner_id = ?2)")
        .bind(guild_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .context("cannot delete the member's fit answers")?;
    // Keys are `fit-check:<program>:<low>:<high>:<asked>`, and the member is low or high.
    let names_them = "guild_id = ?1 and kind = 'fit-check'
        and (key like 'fit-check:%:' || ?3 || ':%:%' or key like 'fit-check:%:%:' || ?3 || ':%')";
    let sent = sqlx::query(&format!(
        "select channel_id, message_id from outbox
         where {names_them} and user_id <> ?2 and state = 'done'
           and channel_id is not null and message_id is not null
         order by outbox_id"
    ))
    .bind(guild_id)
    .bind(user_id)
    .bind(user_id.to_string())
    .fetch_all(&mut *tx)
    .await
    .context("cannot read the fit checks that name the member")?;
    for row in &sent {
        let at = Posted {
            channel_id: id_from_db(row.try_get("channel_id")?),
            message_id: id_from_db(row.try_get("message_id")?),
        };
        queue_deletion(super::ByBackend::Sqlite(&mut *tx), guild_id, at, now).await?;
    }
    sqlx::query(&format!("delete from outbox where {names_them}"))
        .bind(guild_id)
        .bind(user_id)
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await
        .context("cannot delete the fit checks that name the member")?;
    Ok(())
}
