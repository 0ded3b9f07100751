import type { Badge } from "./boardFlags";

/** The board's badges as words; screen readers hear them as a list after a comma. */
export function FlagBadges({ badges, className }: { badges: Badge[]; className?: string }) {
  if (badges.length === 0) return null;
  return (
    <span className={className}>
      {badges.map((b) => (
        <span key={b.key} className={`badge badge-${b.tone}`}>
          <span className="sr-only">, </span>
          {b.label}
        </span>
      ))}
    </span>
  );
}
