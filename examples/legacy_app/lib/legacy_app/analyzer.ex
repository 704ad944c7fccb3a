defmodule LegacyApp.Analyzer do
  @moduledoc "Periodically pings the cluster's nodes and fetches a health report."
  use GenServer

  @interval 60_000
  @health_url ~c"http://localhost:4000/health"

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)
  def results, do: GenServer.call(__MODULE__, :results)
  def analyze_now, do: GenServer.call(__MODULE__, :analyze_now)

  @impl true
  def init(opts) do
    Process.send_after(self(), :analyze, @interval)
    {:ok, %{nodes: Keyword.get(opts, :nodes, []), results: %{}, health: nil}}
  end

  @impl true
  def handle_call(:results, _from, state), do: {:reply, state.results, state}

  def handle_call(:analyze_now, _from, state) do
    send(self(), :analyze)
    {:reply, :ok, state}
  end

  def handle_call({:with_results, fun}, _from, state) do
    {:reply, fun.(state.results), state}
  end

  @impl true
  def handle_info(:analyze, state) do
    Process.send_after(self(), :analyze, @interval)
    {:noreply, %{state | results: collect(state.nodes), health: fetch_health()}}
  end

  def handle_info(:refresh, state) do
    # "reuse" the public API from inside the server: a deadlock
    analyze_now()
    {:noreply, state}
  end

  defp collect(nodes), do: Map.new(nodes, fn node -> {node, responsive?(node)} end)

  defp responsive?(node) do
    send({__MODULE__, node}, {:ping, self()})

    receive do
      {:pong, ^node} -> true
    after
      5_000 -> false
    end
  end

  defp fetch_health do
    case :httpc.request(@health_url) do
      {:ok, {{_, 200, _}, _headers, body}} -> body
      _ -> :unknown
    end
  end
end
