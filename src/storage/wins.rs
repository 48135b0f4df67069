//! Wins: saved with their celebration post, once the limits on how often they may be
//! posted allow it.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{db_id, Conn, Store};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::limits::{self, WinActivity, WinLimits, WinRefusal};
use crate::domain::wins::NewWin;
use crate::on_backend;

impl Store {
    /// Saves a win and claims its celebration post (`detail`), in one transaction, unless
    /// the member is not in the program or `limits` refuse it; then nothing is saved. The
    /// checks and the save share the write lock, so two wins at the same moment cannot
    /// both slip under a limit.
    pub async fn record_win(
        &self,
        win: &NewWin<'_>,
        limits: &WinLimits,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<i64, WinRefusal>> {
        let mut tx = self.write().await?;
        // Under the write lock, so a leave at the same moment cannot slip a win through.
        let left_at: Option<Option<DateTime<Utc>>> =
            on_backend!(tx.conn(), conn => sqlx::query_scalar(
            "select left_at from program_member where program_id = $1 and user_id = $2",
        )
        .bind(win.program_id)
        .bind(win.user_id)
        .fetch_optional(conn)
        .await)
            .context("cannot read the member")?;
        match left_at {
            None => return Ok(Err(WinRefusal::NotAMember)),
            Some(Some(_)) => return Ok(Err(WinRefusal::Left)),
            Some(None) => {}
        }
        let activity =
            win_activity(tx.conn(), win.guild_id, win.user_id, limits.server_per_hour).await?;
        if let Err(refusal) =
            limits::check_win(limits, activity.member_last, &activity.server_recent, now)
        {
            return Ok(Err(refusal));
        }
        let win_id: i64 = on_backend!(tx.conn(), conn => sqlx::query_scalar(
            "insert into win (guild_id, program_id, user_id, kind, description, link, created_at)
             values ($1, $2, $3, $4, $5, $6, $7) returning win_id",
        )
        .bind(win.guild_id)
        .bind(win.program_id)
        .bind(win.user_id)
        .bind(win.kind)
        .bind(win.description)
        .bind(win.link)
        .bind(now)
        .fetch_one(conn)
        .await)
        .context("cannot save the win")?;
        let key = format!("win:{win_id}");
        super::outbox::queue_celebration(
            tx.conn(),
            win.guild_id,
            win.program_id,
            &key,
            win.detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(win_id))
    }

    /// The member's last win in the server, and the server's `server_latest` latest wins.
    pub async fn win_activity(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        server_latest: u32,
    ) -> anyhow::Result<WinActivity> {
        let mut conn = self.pool.acquire().await?;
        win_activity(conn.conn(), guild_id, user_id, server_latest).await
    }
}

async fn win_activity(
    mut conn: Conn<'_>,
    guild_id: GuildId,
    user_id: UserId,
    server_latest: u32,
) -> anyhow::Result<WinActivity> {
    let created_at = conn.backend().instant("created_at");
    let member_last: Option<DateTime<Utc>> = on_backend!(conn.re(), conn => sqlx::query_scalar(
        &format!("select created_at from win where guild_id = $1 and user_id = $2
         order by {created_at} desc limit 1"),
    )
    .bind(db_id(guild_id))
    .bind(db_id(user_id))
    .fetch_optional(conn)
    .await)
    .context("cannot read the member's last win")?;
    let server_recent: Vec<DateTime<Utc>> = on_backend!(conn, conn => sqlx::query_scalar(
        &format!("select created_at from win where guild_id = $1
         order by {created_at} desc limit $2"),
    )
    .bind(db_id(guild_id))
    .bind(i64::from(server_latest))
    .fetch_all(conn)
    .await)
    .context("cannot read the server's latest wins")?;
    Ok(WinActivity {
        member_last,
        server_recent,
    })
}
