// Who calls the tools: on this public server, anyone. There is no sign-in, so no user; the
// tools' `user()` is ANYONE, and `whoami` says so.

/** What the tools know of the caller: nothing, nobody signs in. */
export type UserProps = { userId: "anyone" };

export const ANYONE: UserProps = { userId: "anyone" };

/** What `whoami` shows. */
export function publicProfile(_user: UserProps) {
  return { signedIn: false, note: "This server has no sign-in: anyone can call its tools." };
}
