import { markHandledInPerson } from "@/lib/staff/orders";
import { staffRoute } from "@/lib/staff/route";
import { Reason, unpaidOrderAction } from "../_unpaid";

export const POST = staffRoute(
  "POST /api/staff/orders/[id]/in-person",
  { body: Reason },
  unpaidOrderAction(markHandledInPerson),
);
