"use client";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

interface Point {
  day: string;
  value: number;
}

const BRAND = "#0b4f8a";
const ERR = "#b42318";
const short = (day: string) => day.slice(5);

export function DayBars({ data, label, testId }: { data: Point[]; label: string; testId: string }) {
  return (
    <div style={{ width: "100%", height: 240 }} data-testid={testId} role="img" aria-label={label}>
      <ResponsiveContainer>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" tickFormatter={short} fontSize={11} minTickGap={12} />
          <YAxis allowDecimals={false} fontSize={11} width={40} />
          <Tooltip />
          <Bar dataKey="value" name={label} fill={BRAND} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function RevenueLines({
  data,
  received,
  refunded,
  testId,
}: {
  data: { day: string; revenueFen: number; refundsFen: number }[];
  received: string;
  refunded: string;
  testId: string;
}) {
  const yuan = data.map((d) => ({ day: d.day, received: d.revenueFen / 100, refunded: d.refundsFen / 100 }));
  return (
    <div style={{ width: "100%", height: 240 }} data-testid={testId} role="img" aria-label={received}>
      <ResponsiveContainer>
        <LineChart data={yuan} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" tickFormatter={short} fontSize={11} minTickGap={12} />
          <YAxis fontSize={11} width={50} />
          <Tooltip />
          <Legend />
          <Line
            type="monotone"
            dataKey="received"
            name={received}
            stroke={BRAND}
            dot={false}
            isAnimationActive={false}
          />
          <Line type="monotone" dataKey="refunded" name={refunded} stroke={ERR} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
