import { defineErrors } from "../types";

export const staffErrors = defineErrors({});
