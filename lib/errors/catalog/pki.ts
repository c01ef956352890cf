import { defineErrors } from "../types";

export const pkiErrors = defineErrors({});
