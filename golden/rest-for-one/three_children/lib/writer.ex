defmodule Golden.RestForOne.Three.Writer do
  @moduledoc "Registers itself in the store's table when it starts."
  use GenServer

  def start_link(_arg), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @impl true
  def init(:ok) do
    :ets.insert(:golden_three_table, {:writer, self()})
    {:ok, nil}
  end
end
