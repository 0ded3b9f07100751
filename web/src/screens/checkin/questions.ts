// The questionnaires a check-in link can ask for, as patients read them.

export interface Questionnaire {
  title: string;
  intro: string;
  items: string[];
  options: string[];
  /** Items whose answer above 0 the clinic must hear about at once (the server decides; the page shows the line). */
  urgentItems: number[];
}

const FREQUENCY = ["Not at all", "Several days", "More than half the days", "Nearly every day"];

export const QUESTIONNAIRES: Record<string, Questionnaire> = {
  phq9: {
    title: "How have you been feeling? (PHQ-9)",
    intro: "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items: [
      "Little interest or pleasure in doing things",
      "Feeling down, depressed, or hopeless",
      "Trouble falling or staying asleep, or sleeping too much",
      "Feeling tired or having little energy",
      "Poor appetite or overeating",
      "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
      "Trouble concentrating on things, such as reading the newspaper or watching television",
      "Moving or speaking so slowly that other people could have noticed, or being so fidgety or restless that you have been moving around a lot more than usual",
      "Thoughts that you would be better off dead, or of hurting yourself in some way",
    ],
    options: FREQUENCY,
    urgentItems: [8],
  },
  gad7: {
    title: "Worry and anxiety (GAD-7)",
    intro: "Over the last 2 weeks, how often have you been bothered by the following problems?",
    items: [
      "Feeling nervous, anxious, or on edge",
      "Not being able to stop or control worrying",
      "Worrying too much about different things",
      "Trouble relaxing",
      "Being so restless that it is hard to sit still",
      "Becoming easily annoyed or irritable",
      "Feeling afraid, as if something awful might happen",
    ],
    options: FREQUENCY,
    urgentItems: [],
  },
};

/** True when an answer the page must not wait on has been given (the crisis line shows at once). */
export function needsCrisisLine(scale: string, answers: (number | null)[]): boolean {
  const q = QUESTIONNAIRES[scale];
  return !!q && q.urgentItems.some((i) => (answers[i] ?? 0) > 0);
}
