//! Fit answers: recorded once per member and pair, read back as soft avoids for matching
//! and as counts for stats. Never shown one by one to anyone but their author.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::outbox::queue_deletion;
use super::{id_from_db, parse_column, Conn, Store};
use crate::domain::fit::{fit_check_key, Fit, FitAnswer, FitRefused};
use crate::domain::ids::{GroupId, GuildId, ProgramId, RoundId, UserId};
use crate::domain::outbox::Posted;
use crate::on_backend;

#[derive(sqlx::FromRow)]
struct PairGroup {
    size: i64,
    round_id: RoundId,
    program_id: ProgramId,
}

/// After a "We met" (inside its transaction): a group of exactly two members, both still
/// in it, gets one fit check per member, due now, unless the pair was asked before in
/// this program (the key names the pair, so that insert does nothing). Circles of three
/// or more get none. Returns how many were queued.
pub(super) async fn queue_fit_checks(
    mut tx: Conn<'_>,
    guild_id: GuildId,
    group_id: GroupId,
    now: DateTime<Utc>,
) -> anyhow::Result<u32> {
    let group: Option<PairGroup> = on_backend!(tx.re(), c => sqlx::query_as(
        "select g.size, g.round_id, r.program_id from match_group g
         join round r on r.round_id = g.round_id
         where g.guild_id = $1 and g.group_id = $2",
    )
    .bind(guild_id)
    .bind(group_id)
    .fetch_optional(c)
    .await)
    .context("cannot read the group for its fit check")?;
    let Some(group) = group else { return Ok(0) };
    let members: Vec<UserId> = on_backend!(tx.re(), c => sqlx::query_scalar(
        "select user_id from group_member where guild_id = $1 and group_id = $2 order by user_id",
    )
    .bind(guild_id)
    .bind(group_id)
    .fetch_all(c)
    .await)
    .context("cannot read the group's members for its fit check")?;
    // The size is kept when a member is forgotten: a pair with one seat left is no pair.
    let [a, b] = members[..] else { return Ok(0) };
    if group.size != 2 {
        return Ok(0);
    }
    let program = group.program_id;
    let mut queued = 0;
    for asked in [a, b] {
        let done = on_backend!(tx.re(), c => sqlx::query(
            "insert into outbox (guild_id, program_id, kind, key, round_id, group_id, user_id,
                                 due_at, created_at)
             values ($1, $2, 'fit-check', $3, $4, $5, $6, $7, $8)
             on conflict (guild_id, key) do nothing",
        )
        .bind(guild_id)
        .bind(program)
        .bind(fit_check_key(program, a, b, asked))
        .bind(group.round_id)
        .bind(group_id)
        .bind(asked)
        .bind(now)
        .bind(now)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
        .context("cannot queue a fit check")?;
        queued += u32::try_from(done).unwrap_or(0);
    }
    Ok(queued)
}

#[derive(sqlx::FromRow)]
struct AnswerRow {
    group_id: GroupId,
    program_id: ProgramId,
    user_id: UserId,
    partner_id: UserId,
    fit: String,
    avoiding: bool,
}

impl AnswerRow {
    fn into_domain(self) -> anyhow::Result<FitAnswer> {
        Ok(FitAnswer {
            group_id: self.group_id,
            program_id: self.program_id,
            user_id: self.user_id,
            partner_id: self.partner_id,
            fit: parse_column(&self.fit, "fit_answer.fit")?,
            avoiding: self.avoiding,
        })
    }
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
        let mut tx = self.write().await?;
        let members: Vec<UserId> = on_backend!(tx.conn(), c => sqlx::query_scalar(
            "select user_id from group_member where guild_id = $1 and group_id = $2",
        )
        .bind(guild_id)
        .bind(group_id)
        .fetch_all(c)
        .await)
        .context("cannot read the fit check's pair")?;
        let others: Vec<UserId> = members.iter().copied().filter(|m| *m != user_id).collect();
        // forget-me deletes every check naming the forgotten member, the one sent to their
        // partner included: a partner left alone in the pair is told why, not "not asked".
        if members.contains(&user_id) && others.is_empty() {
            return Ok(Err(FitRefused::PartnerGone));
        }
        let program: Option<ProgramId> = on_backend!(tx.conn(), c => sqlx::query_scalar(
            "select program_id from outbox
             where guild_id = $1 and kind = 'fit-check' and group_id = $2 and user_id = $3",
        )
        .bind(guild_id)
        .bind(group_id)
        .bind(user_id)
        .fetch_optional(c)
        .await)
        .context("cannot read whom the fit check asked")?
        .flatten();
        let Some(program_id) = program else {
            return Ok(Err(FitRefused::NotAsked));
        };
        let [partner_id] = others[..] else {
            return Ok(Err(FitRefused::PartnerGone));
        };
        on_backend!(tx.conn(), c => sqlx::query(
            "insert into fit_answer (group_id, guild_id, program_id, user_id, partner_id, fit,
                                     avoiding, answered_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8)
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
        .execute(c)
        .await
        .map(|_| ()))
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
        let row: Option<AnswerRow> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select group_id, program_id, user_id, partner_id, fit, avoiding from fit_answer
             where guild_id = $1 and group_id = $2 and user_id = $3",
        )
        .bind(guild_id)
        .bind(group_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await)
        .context("cannot read the fit answer")?;
        row.map(AnswerRow::into_domain).transpose()
    }

    /// The program's soft avoids for matching: each pair where one said "Not a fit" about
    /// the other and has not undone it, as (author, partner).
    pub async fn fit_soft_avoids(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<Vec<(UserId, UserId)>> {
        let pairs = on_backend!(&self.pool, pool => sqlx::query_as(
            "select user_id, partner_id from fit_answer
             where program_id = $1 and avoiding = true order by user_id, partner_id",
        )
        .bind(program_id)
        .fetch_all(pool)
        .await)
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
        let answered_at = self.backend().instant("f.answered_at");
        let rows = on_backend!(&self.pool, pool => sqlx::query_as(&format!(
            "select f.partner_id, m.display_name from fit_answer f
             left join member m on m.guild_id = f.guild_id and m.user_id = f.partner_id
             where f.guild_id = $1 and f.program_id = $2 and f.user_id = $3
               and f.avoiding = true
             order by {answered_at} desc, f.partner_id"
        ))
        .bind(guild_id)
        .bind(program_id)
        .bind(user_id)
        .fetch_all(pool)
        .await)
        .context("cannot read the member's fit answers")?;
        Ok(rows)
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
        let mut tx = self.write().await?;
        let mut undone = 0;
        for partner in partners {
            let done = on_backend!(tx.conn(), c => sqlx::query(
                "update fit_answer set avoiding = false
                 where guild_id = $1 and program_id = $2 and user_id = $3 and partner_id = $4
                   and avoiding = true",
            )
            .bind(guild_id)
            .bind(program_id)
            .bind(user_id)
            .bind(partner)
            .execute(c)
            .await
            .map(|done| done.rows_affected()))
            .context("cannot undo a fit answer")?;
            undone += u32::try_from(done).unwrap_or(0);
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
    mut tx: Conn<'_>,
    guild_id: GuildId,
    user_id: UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    on_backend!(tx.re(), c => sqlx::query(
        "delete from fit_answer where guild_id = $1 and (user_id = $2 or partner_id = $2)",
    )
    .bind(guild_id)
    .bind(user_id)
    .execute(c)
    .await
    .map(|_| ()))
    .context("cannot delete the member's fit answers")?;
    // Keys are `fit-check:<program>:<low>:<high>:<asked>`, and the member is low or high.
    let names_them = "guild_id = $1 and kind = 'fit-check'
        and (key like 'fit-check:%:' || $3 || ':%:%' or key like 'fit-check:%:%:' || $3 || ':%')";
    let sent: Vec<(i64, i64)> = on_backend!(tx.re(), c => sqlx::query_as(&format!(
        "select channel_id, message_id from outbox
         where {names_them} and user_id <> $2 and state = 'done'
           and channel_id is not null and message_id is not null
         order by outbox_id"
    ))
    .bind(guild_id)
    .bind(user_id)
    .bind(user_id.to_string())
    .fetch_all(c)
    .await)
    .context("cannot read the fit checks that name the member")?;
    for (channel_id, message_id) in sent {
        let at = Posted {
            channel_id: id_from_db(channel_id),
            message_id: id_from_db(message_id),
        };
        queue_deletion(tx.re(), guild_id, at, now).await?;
    }
    on_backend!(tx, c => sqlx::query(&format!("delete from outbox where {names_them}"))
        .bind(guild_id)
        .bind(user_id)
        .bind(user_id.to_string())
        .execute(c)
        .await
        .map(|_| ()))
    .context("cannot delete the fit checks that name the member")?;
    Ok(())
}
