defmodule Golden.BlockingCallback.CallGraph do
  use GenServer

  def init(nodes), do: {:ok, %{nodes: nodes, results: %{}}}

  def handle_info(:analyze, state) do
    {:noreply, %{state | results: collect(state.nodes)}}
  end

  def collect(nodes), do: Map.new(nodes, fn node -> {node, responsive?(node)} end)

  defp responsive?(node) do
    send(node, {:ping, self()})

    receive do
      {:pong, ^node} -> true
    after
      5_000 -> false
    end
  end

  # Recursive and mutually recursive helpers: the walk must terminate.
  def handle_info({:retry, n}, state), do: {:noreply, retry(n, state)}

  defp retry(0, state), do: state
  defp retry(n, state), do: backoff(n, state)

  defp backoff(n, state) do
    Process.sleep(100 * n)
    retry(n - 1, state)
  end
end
