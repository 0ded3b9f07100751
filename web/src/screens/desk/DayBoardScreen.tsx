import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api } from "../../api/client";
import type { DayBoard, DayBoardSession } from "../../api/types";
import { ProblemBanner } from "../../components/ProblemBanner";
import { kindLabel, statusLabel } from "../../lib/labels";
import { addDays, formatDate, formatTime, hourTicks, localDate } from "../../lib/time";
import { useClinic } from "../../session";
import { sessionBadges } from "./boardFlags";
import { boardAxis, placeOnAxis, type Axis } from "./boardLayout";
import { FlagBadges } from "./FlagBadges";
import { SessionPanel } from "./SessionPanel";

/** The board asks again on its own: check-ins and cancellations at the desk show up without a reload. */
export const BOARD_REFRESH_MS = 30_000;

type View = "rooms" | "staff";

interface Row {
  key: string;
  label: string;
  sessions: DayBoardSession[];
}

function rowsOf(board: DayBoard, view: View): Row[] {
  const byId = new Map(board.sessions.map((s) => [s.id, s]));
  const pick = (ids: number[]) => ids.map((id) => byId.get(id)).filter((s): s is DayBoardSession => !!s);
  if (view === "staff") {
    return board.by_staff.map((r) => ({ key: `s${r.staff}`, label: r.name, sessions: pick(r.sessions) }));
  }
  const rows = board.by_room.map((r) => ({ key: `r${r.room}`, label: r.name, sessions: pick(r.sessions) }));
  const roomless = board.sessions.filter((s) => s.room === null);
  if (roomless.length) rows.push({ key: "none", label: "No room (telehealth)", sessions: roomless });
  return rows;
}

export function DayBoardScreen() {
  const clinic = useClinic();
  const tz = clinic.timezone;
  const [params, setParams] = useSearchParams();
  const today = localDate(new Date(), tz);
  const date = params.get("date") ?? today;
  const view: View = params.get("view") === "staff" ? "staff" : "rooms";
  const [selected, setSelected] = useState<number | null>(null);

  const board = useQuery({
    queryKey: ["day-board", clinic.id, date],
    queryFn: ({ signal }) => api.get<DayBoard>("/scheduling/day-board/", { clinic: clinic.id, date }, signal),
    refetchInterval: BOARD_REFRESH_MS,
  });

  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) next.set(k, v);
    setParams(next, { replace: true });
  };

  const data = board.data;
  const axis = data ? boardAxis(date, tz, data.sessions) : null;
  const rows = data ? rowsOf(data, view) : [];
  const chosen = data?.sessions.find((s) => s.id === selected) ?? null;

  return (
    <section aria-labelledby="board-title" className="board-screen">
      <div className="toolbar">
        <h1 id="board-title">
          Day board <span className="muted">· {formatDate(date)}</span>
        </h1>
        <div className="field">
          <label htmlFor="board-date">Date</label>
          <input id="board-date" type="date" value={date} onChange={(e) => e.target.value && set({ date: e.target.value })} />
        </div>
        <button type="button" className="btn-secondary" onClick={() => set({ date: addDays(date, -1) })}>
          Previous day
        </button>
        <button type="button" className="btn-secondary" onClick={() => set({ date: today })} disabled={date === today}>
          Today
        </button>
        <button type="button" className="btn-secondary" onClick={() => set({ date: addDays(date, 1) })}>
          Next day
        </button>
        <div role="group" aria-label="Show rows by" className="segmented">
          <button type="button" aria-pressed={view === "rooms"} onClick={() => set({ view: "rooms" })}>
            Rooms
          </button>
          <button type="button" aria-pressed={view === "staff"} onClick={() => set({ view: "staff" })}>
            Staff
          </button>
        </div>
        <span className="muted board-status" role="status">
          {board.isFetching ? "Refreshing…" : data ? `${data.sessions.length} sessions · times in ${tz}` : ""}
        </span>
      </div>
      <ProblemBanner error={board.error} />
      {data && axis && (
        <div className="board-layout">
          <div className="board" role="region" aria-label={`Sessions by ${view === "rooms" ? "room" : "staff member"}`}>
            <AxisHeader axis={axis} tz={tz} />
            {rows.length === 0 && <p className="muted">No {view === "rooms" ? "rooms" : "staff with sessions"} on this day.</p>}
            {rows.map((row) => (
              <div className="board-row" key={row.key}>
                <div className="board-row-label">{row.label}</div>
                <ul className="board-lane" aria-label={row.label}>
                  {row.sessions.map((s) => (
                    <Block key={s.id} session={s} axis={axis} tz={tz} selected={s.id === selected} onSelect={() => setSelected(s.id)} />
                  ))}
                </ul>
              </div>
            ))}
          </div>
          {chosen && <SessionPanel session={chosen} board={data} onClose={() => setSelected(null)} />}
        </div>
      )}
    </section>
  );
}

function AxisHeader({ axis, tz }: { axis: Axis; tz: string }) {
  const ticks = hourTicks(axis.start, axis.end, tz).slice(0, -1);
  return (
    <div className="board-row board-axis" aria-hidden="true">
      <div className="board-row-label" />
      <div className="board-lane">
        {ticks.map((t, i) => {
          // The zone's abbreviation on the first tick and wherever it changes (a DST day), so the
          // labels fit beside the details panel.
          const [clock, zone] = formatTime(t, tz).split(" ");
          const previous = i > 0 ? formatTime(ticks[i - 1], tz).split(" ")[1] : null;
          return (
            <span key={t.getTime()} className="tick" style={{ left: `${placeOnAxis(axis, t, t).left}%` }}>
              {zone === previous ? clock : `${clock} ${zone}`}
            </span>
          );
        })}
      </div>
    </div>
  );
}

function Block({ session: s, axis, tz, selected, onSelect }: { session: DayBoardSession; axis: Axis; tz: string; selected: boolean; onSelect: () => void }) {
  const place = placeOnAxis(axis, s.block_starts_at, s.block_ends_at);
  const time = `${formatTime(s.starts_at, tz)}–${formatTime(s.ends_at, tz)}`;
  const flags = [s.flags.late ? "late" : "", s.flags.late_cancel ? "late cancel" : "", s.linked.length ? `${s.linked.length} linked` : ""].filter(Boolean);
  const badges = sessionBadges(s);
  return (
    <li className={`block status-${s.status}${selected ? " selected" : ""}`} style={{ left: `${place.left}%`, width: `${place.width}%` }}>
      {/* The visible text is the accessible name; the hidden parts finish it for screen readers. */}
      <button type="button" onClick={onSelect} aria-pressed={selected} title={[`${s.patient.name}, ${time}`, ...badges.map((b) => b.label)].join(", ")}>
        <span className="block-patient">
          {s.patient.name}
          <span className="sr-only">, </span>
        </span>
        <span className="block-meta">
          {kindLabel(s.kind)} · {statusLabel(s.status)}
          <span className="sr-only">, </span>
        </span>
        <span className="block-time">
          {formatTime(s.starts_at, tz)}
          <span className="sr-only">–{formatTime(s.ends_at, tz)}</span>
          {flags.length > 0 && <span className="sr-only">, </span>}
        </span>
        {flags.length > 0 && <span className="block-flags">{flags.join(" · ")}</span>}
        <FlagBadges badges={badges} className="block-badges" />
      </button>
    </li>
  );
}
