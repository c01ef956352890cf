import { defineErrors } from "../types";

export const paymentsErrors = defineErrors({});
