/** Where a backing service comes from: the URL in the environment, the server on localhost, or the embedded one. */
export type Source = "env" | "local" | "embedded";

/**
 * npm start's choice, for the database and the bus alike: a URL the user set wins; else a server answering on the
 * default local port is used as before; else the embedded one (PostgreSQL from npm; the bus in that PostgreSQL).
 */
export const chooseSource = (urlSet: boolean, localAnswers: boolean): Source =>
  urlSet ? "env" : localAnswers ? "local" : "embedded";
