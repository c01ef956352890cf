import { defineErrors } from "../types";

export const tokenErrors = defineErrors({});
