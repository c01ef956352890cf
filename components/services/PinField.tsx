/** The certificate PIN input of the service pages and 大客户专区's sign-in (the PIN goes to the certificate assistant only, never the portal). */
export function PinField({
  label,
  hint,
  value,
  onChange,
}: {
  label: string;
  hint?: string;
  value: string;
  onChange(pin: string): void;
}) {
  return (
    <div className="field">
      <label htmlFor="pin">{label}</label>
      <input
        id="pin"
        type="password"
        inputMode="text"
        autoComplete="off"
        maxLength={8}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={hint ? "pin-hint" : undefined}
        required
      />
      {hint && (
        <span id="pin-hint" className="field-hint">
          {hint}
        </span>
      )}
    </div>
  );
}
