/** A refusal from the API, with the message it gave (shown to the user as is). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(message: string, code: string, status: number) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

/** The session is gone (expired, signed out elsewhere): the app returns to sign-in. */
export class SignedOutError extends ApiError {
  constructor(message: string) {
    super(message, "unauthenticated", 401);
    this.name = "SignedOutError";
  }
}

/** What to show for any failure: the API's own words where there are some. */
export function messageOf(failure: unknown): string {
  if (failure instanceof Error) return failure.message;
  return "something went wrong: try again";
}
