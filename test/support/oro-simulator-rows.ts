/** What the Oro simulator's calendar tests read of its answers (test/integration/dev/oro-calendar-simulator.*). */

/** The part of a created row (or a PUT's answer) these tests read. */
export interface Row {
  id: number;
  uid: string;
}
/** FOSRestBundle's form error tree, as Oro answers a 400. */
export interface FormErrors {
  errors?: string[];
  children: Record<string, FormErrors>;
}
export interface Invalid {
  message: string;
  errors: FormErrors;
}
