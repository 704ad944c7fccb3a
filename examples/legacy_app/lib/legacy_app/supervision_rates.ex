defmodule LegacyApp.Rates do
  @moduledoc "Owns the :legacy_rates ETS table (the table dies with this process)."
  use GenServer

  @table :legacy_rates

  def start_link(_arg), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  def get(currency) do
    case :ets.lookup(@table, currency) do
      [{^currency, rate}] -> {:ok, rate}
      [] -> :error
    end
  end

  @impl true
  def init(:ok) do
    :ets.new(@table, [:named_table, :public, read_concurrency: true])
    {:ok, nil}
  end
end

defmodule LegacyApp.RatesPoller do
  @moduledoc "Refreshes the rates table every minute."
  use GenServer

  @interval :timer.minutes(1)

  def start_link(_arg), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @impl true
  def init(:ok) do
    send(self(), :poll)
    {:ok, nil}
  end

  @impl true
  def handle_info(:poll, state) do
    :ets.insert(:legacy_rates, {"EUR", 1.0})
    Process.send_after(self(), :poll, @interval)
    {:noreply, state}
  end
end
