/** A form's error, announced to screen readers as it appears (role="alert"); nothing while there is none. */
export function ErrorAlert({ message }: { message: string | null | undefined }) {
  return message ? (
    <div className="alert alert-err" role="alert">
      {message}
    </div>
  ) : null;
}
