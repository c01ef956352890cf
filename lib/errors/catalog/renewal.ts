import { defineErrors } from "../types";

export const renewalErrors = defineErrors({});
