defmodule Golden.RestForOne.SplitOptions do
  @registry Golden.RestForOne.SplitOptions.Names

  def start_link do
    Supervisor.start_link(
      [
        {Registry, keys: :unique, name: @registry},
        {Golden.RestForOne.SplitOptions.Room, "lobby"}
      ],
      # keep restarts cheap
      strategy:
        # one at a time
        :one_for_one,
      max_seconds: 10
    )
  end
end

defmodule Golden.RestForOne.SplitOptions.Room do
  use GenServer

  def start_link(name) do
    GenServer.start_link(__MODULE__, name, name: {:via, Registry, {Golden.RestForOne.SplitOptions.Names, name}})
  end

  @impl true
  def init(name), do: {:ok, name}
end
