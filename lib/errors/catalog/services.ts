import { defineErrors } from "../types";

export const servicesErrors = defineErrors({});
