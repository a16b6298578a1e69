// The explorer's drawing of access paths: their union, each node in the column of its distance
// from the start. A small graph is an SVG with a labelled box per node; a large one (thousands
// of people reaching a resource through groups) is a <canvas> of dots, drawn a few
// milliseconds at a time so the page keeps answering input while it draws.
import { useEffect, useMemo, useRef, useState, type MouseEvent } from "react";

export interface Ref { kind: string; key: string }
export interface Path { nodes: Ref[]; edges: string[] }

interface Placed { id: string; ref: Ref; depth: number; row: number }
interface Link { from: number; to: number; kind: string }
interface Layers { nodes: Placed[]; links: Link[]; perColumn: number[] }

/** Above this many nodes the graph is drawn on a canvas: an SVG element per node and link
 * makes the browser lay out and paint tens of thousands of elements at once. */
export const CANVAS_FROM = 200;

/** The union of `paths` in one pass (linear in their length): a node keeps the column and
 * row where it is first seen, so the same answer is always drawn the same way. */
function layer(paths: Path[]): Layers {
  const index = new Map<string, number>();
  const nodes: Placed[] = [];
  const perColumn: number[] = [];
  const linked = new Map<string, Link>();
  for (const path of paths) {
    let previous = -1;
    path.nodes.forEach((ref, depth) => {
      const id = `${ref.kind}:${ref.key}`;
      let at = index.get(id);
      if (at === undefined) {
        at = nodes.length;
        index.set(id, at);
        const row = perColumn[depth] ?? 0;
        perColumn[depth] = row + 1;
        nodes.push({ id, ref, depth, row });
      }
      if (previous >= 0) linked.set(`${previous}>${at}`, { from: previous, to: at, kind: path.edges[depth - 1] ?? "" });
      previous = at;
    });
  }
  return { nodes, links: [...linked.values()], perColumn };
}

export function PathGraph({ paths, label }: { paths: Path[]; label: string }) {
  const layers = useMemo(() => layer(paths), [paths]);
  if (layers.nodes.length === 0) return null;
  return layers.nodes.length < CANVAS_FROM ? <SvgGraph layers={layers} label={label} /> : <CanvasGraph layers={layers} label={label} />;
}

const COLUMN = 190;
const ROW = 46;

function SvgGraph({ layers, label }: { layers: Layers; label: string }) {
  const { nodes, links, perColumn } = layers;
  const at = (n: Placed) => ({ x: n.depth * COLUMN + 10, y: n.row * ROW + 10 });
  return (
    <svg role="img" aria-label={label} width={perColumn.length * COLUMN + 20} height={Math.max(...perColumn) * ROW + 20}
      className="graph" data-nodes={nodes.length} data-drawn-nodes={nodes.length}>
      {links.map((link) => {
        const a = at(nodes[link.from]);
        const b = at(nodes[link.to]);
        return (
          <g key={`${link.from}>${link.to}`}>
            <line x1={a.x + 160} y1={a.y + 15} x2={b.x} y2={b.y + 15} stroke="#8792a8" markerEnd="url(#arrow)" />
            <text x={(a.x + 160 + b.x) / 2} y={(a.y + b.y) / 2 + 10} fontSize="9" textAnchor="middle">{link.kind}</text>
          </g>
        );
      })}
      {nodes.map((n) => {
        const p = at(n);
        return (
          <g key={n.id} className="node">
            <rect x={p.x} y={p.y} width={160} height={30} rx={5} fill="#fff" stroke="#2451b3" />
            <text x={p.x + 6} y={p.y + 19} fontSize="11">{`${n.ref.kind}: ${n.ref.key}`.slice(0, 28)}</text>
          </g>
        );
      })}
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" fill="#8792a8" />
        </marker>
      </defs>
    </svg>
  );
}

const DOT = 8; // pixels between dots
const ROWS = 64; // dots per sub-column before a column wraps
const GAP = 170; // pixels between two columns, room for the labels of small columns
const LABELLED = 24; // columns with at most this many nodes get their names written

interface Canvas { x: Float32Array; y: Float32Array; width: number; height: number; starts: number[] }

/** Dots on a grid, a column wrapping every `ROWS` rows, each column centred vertically. */
function compact({ nodes, perColumn }: Layers): Canvas {
  const height = Math.min(Math.max(...perColumn), ROWS) * DOT + 40;
  const starts: number[] = [];
  let left = 20;
  for (const count of perColumn) {
    starts.push(left);
    left += Math.ceil(count / ROWS) * DOT + GAP;
  }
  const x = new Float32Array(nodes.length);
  const y = new Float32Array(nodes.length);
  nodes.forEach((n, i) => {
    const rows = Math.min(perColumn[n.depth], ROWS);
    x[i] = starts[n.depth] + Math.floor(n.row / ROWS) * DOT;
    y[i] = (height - rows * DOT) / 2 + (n.row % ROWS) * DOT + DOT / 2;
  });
  return { x, y, width: left, height, starts }; // the gap after the last column holds its labels
}

/** Milliseconds of drawing per animation frame: well under a frame (16 ms), so typing,
 * scrolling and clicks are handled between two slices. */
const SLICE_MS = 8;

function CanvasGraph({ layers, label }: { layers: Layers; label: string }) {
  const { nodes, links, perColumn } = layers;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const place = useMemo(() => compact(layers), [layers]);
  const [done, setDone] = useState(false);
  const [hovered, setHovered] = useState<Ref | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    const pen = canvas?.getContext("2d");
    if (!canvas || !pen) return undefined;
    const scale = window.devicePixelRatio || 1;
    canvas.width = place.width * scale;
    canvas.height = place.height * scale;
    pen.setTransform(scale, 0, 0, scale, 0, 0);
    pen.font = "11px system-ui, sans-serif";
    setDone(false);
    canvas.dataset.drawnNodes = "0";
    let next = 0; // links first, then nodes over them
    let frame = 0;
    const total = links.length + nodes.length;
    const step = () => {
      const until = performance.now() + SLICE_MS;
      pen.strokeStyle = "rgba(135, 146, 168, 0.35)";
      pen.beginPath();
      for (; next < links.length && performance.now() < until; next++) {
        const { from, to } = links[next];
        pen.moveTo(place.x[from] + 3, place.y[from]);
        pen.lineTo(place.x[to] - 3, place.y[to]);
      }
      pen.stroke();
      for (; next >= links.length && next < total && performance.now() < until; next++) {
        const i = next - links.length;
        pen.fillStyle = nodes[i].depth === 0 ? "#2451b3" : "#b34a24";
        pen.beginPath();
        pen.arc(place.x[i], place.y[i], 3, 0, 2 * Math.PI);
        pen.fill();
        if (perColumn[nodes[i].depth] <= LABELLED) {
          pen.fillStyle = "#1d2330";
          pen.fillText(`${nodes[i].ref.kind}: ${nodes[i].ref.key}`.slice(0, 28), place.x[i] + 7, place.y[i] + 4);
        }
      }
      canvas.dataset.drawnNodes = String(Math.max(0, next - links.length));
      if (next < total) frame = requestAnimationFrame(step);
      else setDone(true);
    };
    frame = requestAnimationFrame(step);
    return () => cancelAnimationFrame(frame);
  }, [place, nodes, links, perColumn]);

  /** The node under the pointer, found by a scan: one pass over a few thousand numbers. */
  function hover(event: MouseEvent<HTMLCanvasElement>) {
    const box = event.currentTarget.getBoundingClientRect();
    const px = event.clientX - box.left;
    const py = event.clientY - box.top;
    let best = -1;
    for (let i = 0; i < nodes.length; i++) {
      if (Math.abs(place.x[i] - px) <= DOT / 2 && Math.abs(place.y[i] - py) <= DOT / 2) best = i;
    }
    setHovered(best < 0 ? null : nodes[best].ref);
  }

  return (
    <figure className="graph-canvas">
      <canvas ref={canvasRef} role="img" aria-label={label} className="graph" data-nodes={nodes.length}
        style={{ width: place.width, height: place.height }} onMouseMove={hover} onMouseLeave={() => setHovered(null)} />
      <figcaption className="muted" aria-live="polite">
        {done ? `${nodes.length.toLocaleString()} nodes and ${links.length.toLocaleString()} links drawn` : "Drawing…"}
        {hovered ? ` · ${hovered.kind}: ${hovered.key}` : " · point at a dot for its name; the table lists every row"}
      </figcaption>
    </figure>
  );
}
