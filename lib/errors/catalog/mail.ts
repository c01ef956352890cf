import { defineErrors } from "../types";

export const mailErrors = defineErrors({});
