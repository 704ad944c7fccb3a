defmodule Golden.RestForOne.AliasAs do
  use Supervisor

  alias Golden.RestForOne.AliasAs.Connection, as: Conn

  def start_link(arg), do: Supervisor.start_link(__MODULE__, arg)

  @impl true
  def init(_arg) do
    children = [
      Conn,
      Supervisor.child_spec({__MODULE__.Heartbeat, []}, id: :heartbeat)
    ]

    Supervisor.init(children, strategy: :rest_for_one)
  end
end

defmodule Golden.RestForOne.AliasAs.Connection do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: :golden_alias_as_conn)
  @impl true
  def init(:ok), do: {:ok, nil}
end

defmodule Golden.RestForOne.AliasAs.Heartbeat do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok)
  @impl true
  def init(:ok) do
    send(:golden_alias_as_conn, :ping)
    {:ok, nil}
  end
end
